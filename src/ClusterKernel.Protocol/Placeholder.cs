namespace ClusterKernel; internal static class Placeholder_ClusterKernel_Protocol {}
