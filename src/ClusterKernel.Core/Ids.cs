namespace ClusterKernel;

// Typed ids, so a task id can never be passed where an agent id is meant. Serialised as {"value": "..."}, as Mesos v1 JSON does.
public readonly record struct FrameworkId(string Value) { public override string ToString() => Value; }
public readonly record struct AgentId(string Value) { public override string ToString() => Value; }
public readonly record struct TaskId(string Value) { public override string ToString() => Value; }
public readonly record struct ExecutorId(string Value) { public override string ToString() => Value; }
public readonly record struct OfferId(string Value) { public override string ToString() => Value; }
public readonly record struct ContainerId(string Value) { public override string ToString() => Value; }
