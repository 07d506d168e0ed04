namespace ClusterKernel.Resources;

/// <summary>Mesos role names: "*" or slash-separated path segments ("eng/frontend").</summary>
public static class Roles
{
    public const string Any = "*";

    public static bool IsValid(string role)
    {
        if (role == Any) return true;
        if (string.IsNullOrEmpty(role) || role.StartsWith('/') || role.EndsWith('/')) return false;
        foreach (var seg in role.Split('/'))
        {
            if (seg.Length == 0 || seg is "." or ".." || seg.StartsWith('-')) return false;
            if (seg.Any(c => char.IsWhiteSpace(c) || c is '*' or '\\' or '\0')) return false;
        }
        return true;
    }

    /// <summary>True when <paramref name="ancestor"/> is <paramref name="role"/> or one of its parents ("eng" of "eng/frontend").</summary>
    public static bool IsSelfOrAncestor(string ancestor, string role) =>
        ancestor == role || (role.Length > ancestor.Length && role.StartsWith(ancestor, StringComparison.Ordinal) && role[ancestor.Length] == '/');

    public static string? Parent(string role)
    {
        var i = role.LastIndexOf('/');
        return i < 0 ? null : role[..i];
    }
}
