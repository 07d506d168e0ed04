using ClusterKernel.Allocation.State;
using Res = ClusterKernel.Resources.Resources;

namespace ClusterKernel.Allocation;

// Fragmentation mode (beyond Mesos): frameworks that say what their pending tasks look like get offers sized for them.
public sealed partial class HierarchicalAllocator
{
    /// <summary>
    /// Declares the framework's pending task shapes (one entry per pending task, in the order it wants them placed). From then
    /// on its offers hold only what those shapes need (first fit on the agent), leaving the rest of the agent for others;
    /// an empty list means it wants nothing. Pass null to go back to Mesos' whole-agent offers.
    /// </summary>
    public void SetTaskShapes(FrameworkId framework, IReadOnlyList<Res>? pendingShapes)
    {
        var fw = Framework(framework);
        if (pendingShapes == null)
        {
            fw.Shapes = null;
            fw.ShapeRanges = null;
        }
        else
        {
            var shapes = new double[pendingShapes.Count][];
            var ranges = new HashSet<int>();
            for (var i = 0; i < shapes.Length; i++)
            {
                shapes[i] = new double[Dense.ResourceSchema.MaxScalars];
                foreach (var r in pendingShapes[i])
                {
                    if (r.Type == Resources.ValueType.Scalar) shapes[i][_schema.Scalar(r.Name)] += r.Scalar;
                    else if (r.Type == Resources.ValueType.Ranges) ranges.Add(_schema.Range(r.Name));
                }
            }
            _ctx.Count = _schema.ScalarCount;
            fw.Shapes = shapes;
            fw.ShapeRanges = ranges.ToArray();
        }
        _eligibility++;
    }

    /// <summary>
    /// Shapes declared in FrameworkInfo.TaskShapes (when <see cref="AllocatorOptions.ShapeAwareOffers"/> is on): each shape
    /// counts Count times, so an offer holds at most that many tasks of it. A framework that never declared any keeps whatever
    /// <see cref="SetTaskShapes"/> gave it; one that drops its declaration goes back to whole-agent offers.
    /// </summary>
    private void ApplyDeclaredShapes(FrameworkState fw, FrameworkInfo? previous)
    {
        if (!_options.ShapeAwareOffers) return;
        var declared = fw.Info.TaskShapes;
        if (declared.Count == 0)
        {
            if (previous is { TaskShapes.Count: > 0 }) SetTaskShapes(fw.Id, null);
            return;
        }
        var pending = new List<Res>();
        foreach (var s in declared)
            for (var i = 0; i < Math.Clamp(s.Count, 1, TaskShape.MaxCount); i++) pending.Add(s.Resources);
        SetTaskShapes(fw.Id, pending);
    }
}
