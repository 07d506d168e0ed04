using System.Data.Common;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace ClusterKernel.Master;

/// <summary>
/// The leader lease's row, in the registry's own database (SQLite or PostgreSQL): table <c>ck_leader_lease</c>, one row per lease
/// name with its holder and a version that every write increments. Every write is a compare-and-set on the version, so of two
/// masters writing after reading the same version only one succeeds. Plain ADO.NET with a short timeout per call.
/// </summary>
public sealed class LeaderLeaseStore(string provider, string connectionString, string name = "master")
{
    private bool _created;

    /// <summary>"PostgreSQL" or "SQLite" (as the SQL journal's provider-name starts), with its connection string.</summary>
    public static LeaderLeaseStore? For(string providerName, string? connectionString, string name = "master") =>
        string.IsNullOrEmpty(connectionString) || RegistryHealth.DatabaseKind(providerName) is not { } kind ? null
        : new LeaderLeaseStore(kind, connectionString, name);

    public string Provider => provider;

    private DbConnection Connect() => provider == "PostgreSQL" ? new NpgsqlConnection(connectionString) : new SqliteConnection(connectionString);

    private async Task<T> Run<T>(Func<DbConnection, Task<T>> work, CancellationToken ct)
    {
        await using var conn = Connect();
        await conn.OpenAsync(ct);
        if (!_created)
        {
            await Exec(conn, "CREATE TABLE IF NOT EXISTS ck_leader_lease (name VARCHAR(200) PRIMARY KEY, owner VARCHAR(500) NULL, version BIGINT NOT NULL)", ct);
            _created = true;
        }
        return await work(conn);
    }

    private static DbCommand Command(DbConnection conn, string sql, params (string Name, object? Value)[] args)
    {
        var cmd = conn.CreateCommand();
        cmd.CommandText = sql;
        foreach (var (n, v) in args)
        {
            var p = cmd.CreateParameter();
            p.ParameterName = n;
            p.Value = v ?? DBNull.Value;
            cmd.Parameters.Add(p);
        }
        return cmd;
    }

    private static async Task<int> Exec(DbConnection conn, string sql, CancellationToken ct, params (string Name, object? Value)[] args)
    {
        await using var cmd = Command(conn, sql, args);
        return await cmd.ExecuteNonQueryAsync(ct);
    }

    /// <summary>The row; null when no master ever wrote it.</summary>
    public Task<LeaseRow?> Read(CancellationToken ct = default) => Run(async conn =>
    {
        await using var cmd = Command(conn, "SELECT owner, version FROM ck_leader_lease WHERE name = @name", ("@name", name));
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        if (!await reader.ReadAsync(ct)) return null;
        return new LeaseRow(reader.IsDBNull(0) ? null : reader.GetString(0), reader.GetInt64(1));
    }, ct);

    /// <summary>Takes the row for <paramref name="owner"/> if its version is still <paramref name="expectedVersion"/> (0: no row
    /// yet). Returns the new version, or null when someone else wrote it first.</summary>
    public Task<long?> Take(string owner, long expectedVersion, CancellationToken ct = default) => Run(async conn =>
    {
        var n = expectedVersion == 0
            ? await Exec(conn, "INSERT INTO ck_leader_lease (name, owner, version) VALUES (@name, @owner, 1) ON CONFLICT (name) DO NOTHING", ct,
                ("@name", name), ("@owner", owner))
            : await Exec(conn, "UPDATE ck_leader_lease SET owner = @owner, version = version + 1 WHERE name = @name AND version = @version", ct,
                ("@name", name), ("@owner", owner), ("@version", expectedVersion));
        return n == 1 ? expectedVersion + 1 : (long?)null;
    }, ct);

    /// <summary>Renews <paramref name="owner"/>'s lease at <paramref name="version"/>: the new version, or null when the row was
    /// written by someone else meanwhile (the lease is lost).</summary>
    public Task<long?> Renew(string owner, long version, CancellationToken ct = default) => Run(async conn =>
    {
        var n = await Exec(conn, "UPDATE ck_leader_lease SET version = version + 1 WHERE name = @name AND owner = @owner AND version = @version", ct,
            ("@name", name), ("@owner", owner), ("@version", version));
        return n == 1 ? version + 1 : (long?)null;
    }, ct);

    /// <summary>Gives the row up (owner null), so that the next master takes it without waiting; false if it was not ours at that version.</summary>
    public Task<bool> Release(string owner, long version, CancellationToken ct = default) => Run(async conn =>
        await Exec(conn, "UPDATE ck_leader_lease SET owner = NULL, version = version + 1 WHERE name = @name AND owner = @owner AND version = @version", ct,
            ("@name", name), ("@owner", owner), ("@version", version)) == 1, ct);
}
