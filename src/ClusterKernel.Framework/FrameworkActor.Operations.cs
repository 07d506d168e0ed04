using Akka.Actor;
using ClusterKernel.Protocol;
using ClusterKernel.Resources;

namespace ClusterKernel.Framework;

// Offer operations that change resources (RESERVE, UNRESERVE, CREATE, DESTROY) and their feedback, as the v1 scheduler API has them.
public abstract partial class FrameworkActor
{
    private void OperationReceives() => Receive<OperationStatusUpdate>(m =>
    {
        OnOperationStatus(m.Status);
        // As for task updates: acknowledged after the callback, unless the framework acknowledges itself.
        if (!ExplicitAcknowledgements) AcknowledgeOperation(m.Status);
    });

    /// <summary>UPDATE_OPERATION_STATUS: OPERATION_FINISHED, OPERATION_ERROR (with a message), or OPERATION_UNKNOWN from reconciliation.</summary>
    protected virtual void OnOperationStatus(OperationStatus status) { }

    /// <summary>ACCEPT with RESERVE (and optionally LAUNCH after it, in the same call). Give an <paramref name="operationId"/> for feedback.</summary>
    protected void Reserve(Offer offer, Resources.Resources resources, string? operationId = null, IReadOnlyList<TaskInfo>? thenLaunch = null, Filters? filters = null) =>
        Accept(new[] { offer.Id }, WithLaunch(new ReserveOperation(resources, operationId), thenLaunch), filters);

    protected void Unreserve(Offer offer, Resources.Resources resources, string? operationId = null, Filters? filters = null) =>
        Accept(new[] { offer.Id }, new OfferOperation[] { new UnreserveOperation(resources, operationId) }, filters);

    /// <summary>ACCEPT with CREATE of persistent volumes on reserved disk (optionally launching tasks that use them).</summary>
    protected void CreateVolumes(Offer offer, Resources.Resources volumes, string? operationId = null, IReadOnlyList<TaskInfo>? thenLaunch = null, Filters? filters = null) =>
        Accept(new[] { offer.Id }, WithLaunch(new CreateOperation(volumes, operationId), thenLaunch), filters);

    protected void DestroyVolumes(Offer offer, Resources.Resources volumes, string? operationId = null, Filters? filters = null) =>
        Accept(new[] { offer.Id }, new OfferOperation[] { new DestroyOperation(volumes, operationId) }, filters);

    /// <summary>ACKNOWLEDGE_OPERATION_STATUS; statuses without a uuid (reconciliation answers) need none.</summary>
    protected void AcknowledgeOperation(OperationStatus status)
    {
        if (status.Uuid is not { } uuid || FrameworkId is not { } id) return;
        Master.Tell(new AcknowledgeOperationStatus(id, status.AgentId, status.OperationId, uuid));
    }

    /// <summary>RECONCILE_OPERATIONS: an empty list asks for every operation the master keeps for this framework.</summary>
    protected void ReconcileOperations(IReadOnlyList<string> operationIds)
    {
        if (FrameworkId is { } id) Master.Tell(new ReconcileOperations(id, operationIds));
    }

    private static OfferOperation[] WithLaunch(OfferOperation op, IReadOnlyList<TaskInfo>? tasks) =>
        tasks is { Count: > 0 } ? new[] { op, new LaunchOperation(tasks) } : new[] { op };
}
