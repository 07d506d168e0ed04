using ClusterKernel.Protocol;

namespace ClusterKernel.Master;

// Registry events of UPDATE_FRAMEWORK and UPDATE_MAINTENANCE_SCHEDULE (journal manifests: never rename).

/// <summary>UPDATE_FRAMEWORK: the framework's new FrameworkInfo.</summary>
public sealed record FrameworkUpdated(FrameworkId FrameworkId, FrameworkInfo Info, double Time) : IClusterMessage;
/// <summary>The whole maintenance schedule, replacing the previous one (as Mesos' registry stores it).</summary>
public sealed record MaintenanceScheduleUpdated(IReadOnlyList<MaintenanceWindow> Windows) : IClusterMessage;
