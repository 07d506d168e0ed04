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
}
