namespace ClusterKernel; internal static class Placeholder_ClusterKernel_Integration_Tests {}
