using Npgsql;
using Xunit;

namespace ClusterKernel.Integration.Tests;

/// <summary>
/// A fact that needs PostgreSQL (CK_TEST_POSTGRES, an Npgsql connection string; tests/run.sh starts a private server).
/// Skipped without it, unless CK_REQUIRE_POSTGRES=1 (CI), in which case it runs and fails.
/// </summary>
public sealed class PostgresFactAttribute : FactAttribute
{
    public PostgresFactAttribute()
    {
        if (Environment.GetEnvironmentVariable("CK_REQUIRE_POSTGRES") == "1") return;
        if (string.IsNullOrEmpty(ConnectionString))
            Skip = "CK_TEST_POSTGRES is not set (tests/run.sh provides PostgreSQL; set CK_REQUIRE_POSTGRES=1 to fail instead of skipping)";
    }

    public static string? ConnectionString => Environment.GetEnvironmentVariable("CK_TEST_POSTGRES");

    /// <summary>A fresh database for one test, so that registries of different tests never meet.</summary>
    public static async Task<string> CreateDatabase()
    {
        var baseConnection = ConnectionString ?? throw new InvalidOperationException("CK_TEST_POSTGRES is not set; run the tests through tests/run.sh");
        var name = "ck_" + Guid.NewGuid().ToString("N")[..12];
        await using (var conn = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(baseConnection) { Database = "postgres" }.ConnectionString))
        {
            await conn.OpenAsync();
            await using var cmd = new NpgsqlCommand($"CREATE DATABASE {name}", conn);
            await cmd.ExecuteNonQueryAsync();
        }
        return new NpgsqlConnectionStringBuilder(baseConnection) { Database = name }.ConnectionString;
    }
}
