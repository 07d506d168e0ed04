using Res = ClusterKernel.Resources.Resources;

namespace ClusterKernel.Allocation.Preemption;

/// <summary>Take these resources back from the framework on that agent (the master kills tasks or rescinds offers to free them).</summary>
public sealed record PreemptionDecision(FrameworkId Framework, AgentId Agent, string Role, Res Resources, string Reason);

/// <summary>A role whose guarantee is unmet, with how much of each scalar it still lacks.</summary>
public sealed record PreemptionNeed(string Role, int Priority, IReadOnlyDictionary<string, double> Unmet);

/// <summary>An allocation that could be taken back: the unreserved, non-revocable part of what a framework holds on an agent for a role.</summary>
public sealed record PreemptionCandidate(FrameworkId Framework, AgentId Agent, string Role, int Priority, Res Resources);
