namespace ClusterKernel.Protocol;

/// <summary>Marker on every message that crosses a node or is persisted: one serializer binding covers them all.</summary>
public interface IClusterMessage { }
