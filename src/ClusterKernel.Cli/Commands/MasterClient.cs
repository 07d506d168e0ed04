using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using ClusterKernel.Protocol.Serialization;

namespace ClusterKernel.Cli.Commands;

/// <summary>A failure the CLI reports as one line "ck: ..." with its own exit code.</summary>
internal sealed class CliException(int exitCode, string message) : Exception(message)
{
    public int ExitCode { get; } = exitCode;
}

/// <summary>The client side of the master's HTTP API: turns transport failures and error answers into <see cref="CliException"/>s.</summary>
internal sealed class MasterClient : IDisposable
{
    public const int Unreachable = 2;
    private readonly HttpClient _http;
    private readonly string _url;

    public static readonly JsonSerializerOptions JsonOptions = Json.CreateOptions();

    public MasterClient(string url)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            throw new CliException(2, $"--master must be an http(s) URL, got '{url}'");
        _url = url.TrimEnd('/');
        _http = new HttpClient { BaseAddress = new Uri(_url + "/"), Timeout = TimeSpan.FromSeconds(15) };
    }

    public Task<HttpResponseMessage> GetAsync(string path, CancellationToken ct) => Send(() => _http.GetAsync(path.TrimStart('/'), ct), ct);

    public Task<HttpResponseMessage> PostAsync<T>(string path, T body, CancellationToken ct) =>
        // A buffered body (with Content-Length) rather than PostAsJsonAsync's chunked stream: simpler for proxies and small servers.
        Send(() => _http.PostAsync(path.TrimStart('/'),
            new StringContent(JsonSerializer.Serialize(body, JsonOptions), System.Text.Encoding.UTF8, "application/json"), ct), ct);

    public async Task<T> ReadAsync<T>(HttpResponseMessage response, CancellationToken ct) =>
        await response.Content.ReadFromJsonAsync<T>(JsonOptions, ct) ?? throw new CliException(Unreachable, $"empty answer from the master at {_url}");

    /// <summary>The "message" of a JSON error answer, or the status line when there is none.</summary>
    public static async Task<string> ErrorMessage(HttpResponseMessage response, CancellationToken ct)
    {
        try
        {
            var node = JsonNode.Parse(await response.Content.ReadAsStringAsync(ct));
            if ((string?)node?["message"] is { Length: > 0 } m) return m;
        }
        catch (JsonException) { }
        return $"{(int)response.StatusCode} {response.ReasonPhrase}";
    }

    /// <summary>Raises the one-line "cannot reach" error for transport failures and 503s (the API is up but the master is not).</summary>
    public async Task<HttpResponseMessage> EnsureReachable(HttpResponseMessage response, CancellationToken ct)
    {
        if (response.StatusCode == System.Net.HttpStatusCode.ServiceUnavailable)
            throw new CliException(Unreachable, $"cannot reach the master at {_url}: {await ErrorMessage(response, ct)}");
        return response;
    }

    private async Task<HttpResponseMessage> Send(Func<Task<HttpResponseMessage>> send, CancellationToken ct)
    {
        try { return await EnsureReachable(await send(), ct); }
        catch (HttpRequestException e) { throw new CliException(Unreachable, $"cannot reach the master at {_url}: {e.Message}"); }
        catch (TaskCanceledException e) when (!ct.IsCancellationRequested) { throw new CliException(Unreachable, $"cannot reach the master at {_url}: {e.Message}"); }
    }

    public void Dispose() => _http.Dispose();

    /// <summary>Runs a command's body, printing a <see cref="CliException"/> as one line on stderr.</summary>
    public static async Task<int> Guard(Func<Task<int>> body)
    {
        try { return await body(); }
        catch (CliException e)
        {
            await Console.Error.WriteLineAsync("ck: " + e.Message);
            return e.ExitCode;
        }
    }
}
