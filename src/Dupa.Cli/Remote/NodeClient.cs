using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using Dupa.Core.Errors;
using Dupa.Node.Api;
using Dupa.Node.Security;

namespace Dupa.Cli.Remote;

/// <summary>
/// HTTP to one node. TLS is checked against the certificate fingerprint pinned at login, as ssh checks host keys:
/// a node whose certificate changed is refused, whatever its chain says. Problem+json answers become
/// <see cref="DupaException"/>s with the node's message, so they reach the user as one line and an exit code.
/// </summary>
public sealed class NodeClient : IDisposable
{
    private readonly HttpClient _http;
    private readonly string? _pinned;
    private string? _seen;

    public NodeClient(string url, string? pinnedFingerprint, string? token = null)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var baseUri) || baseUri.Scheme is not ("https" or "http"))
        {
            throw new DupaException(ErrorCode.InvalidInput, $"'{url}' is not a node address; use https://HOST:PORT");
        }
        _pinned = pinnedFingerprint;
        var handler = new SocketsHttpHandler
        {
            SslOptions = new SslClientAuthenticationOptions { RemoteCertificateValidationCallback = CheckCertificate },
            ConnectTimeout = TimeSpan.FromSeconds(15),
        };
        _http = new HttpClient(handler) { BaseAddress = baseUri, Timeout = Timeout.InfiniteTimeSpan };
        if (token is not null)
        {
            _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }
        Url = baseUri.ToString().TrimEnd('/');
    }

    public string Url { get; }

    /// <summary>The fingerprint of the certificate the node presented (null over plain HTTP or before the first request).</summary>
    public string? SeenFingerprint => _seen;

    private bool CheckCertificate(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        if (certificate is null)
        {
            return false;
        }
        using var presented = X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
        _seen = Certificates.Fingerprint(presented);
        // First contact (login) accepts any certificate and reports it; after that only the pinned one.
        return _pinned is null || CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(_seen), Encoding.ASCII.GetBytes(_pinned));
    }

    public async Task<T> GetAsync<T>(string path, CancellationToken cancellationToken = default)
    {
        using var response = await SendAsync(new HttpRequestMessage(HttpMethod.Get, path), cancellationToken);
        return await ReadAsync<T>(response, cancellationToken);
    }

    public async Task<T> SendJsonAsync<T>(HttpMethod method, string path, object? body, CancellationToken cancellationToken = default)
    {
        using var response = await SendAsync(new HttpRequestMessage(method, path) { Content = JsonBody(body) }, cancellationToken);
        return await ReadAsync<T>(response, cancellationToken);
    }

    public async Task SendAsync(HttpMethod method, string path, object? body = null, CancellationToken cancellationToken = default)
    {
        using var response = await SendAsync(new HttpRequestMessage(method, path) { Content = JsonBody(body) }, cancellationToken);
    }

    /// <summary>A request body as the node reads it: JSON with the web defaults, by the body's own type.</summary>
    public static JsonContent? JsonBody(object? body) => body is null ? null : JsonContent.Create(body, CliJson.Web.GetTypeInfo(body.GetType()));

    /// <summary>Sends a request and returns the response if it succeeded; the caller disposes it. Reads only the headers first.</summary>
    public async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken = default)
    {
        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        }
        catch (HttpRequestException e) when (_pinned is not null && _seen is not null && _seen != _pinned)
        {
            throw new DupaException(ErrorCode.Untrusted,
                $"the node at {Url} presented certificate {_seen}, not the one pinned at login ({_pinned}); if you replaced its certificate, log in again", e);
        }
        catch (HttpRequestException e)
        {
            throw new DupaException(ErrorCode.Io, $"cannot reach the node at {Url}: {e.Message}", e, isTransient: true);
        }
        if (!response.IsSuccessStatusCode)
        {
            using (response)
            {
                throw await ErrorFromAsync(response, cancellationToken);
            }
        }
        return response;
    }

    private static async Task<T> ReadAsync<T>(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        try
        {
            return await response.Content.ReadFromJsonAsync(CliJson.WebInfo<T>(), cancellationToken) ?? throw new JsonException("empty body");
        }
        catch (JsonException e)
        {
            throw new DupaException(ErrorCode.Unknown, $"the node answered something the CLI cannot read ({e.Message}); is it a dupa node of the same version?", e);
        }
    }

    /// <summary>The node's problem+json as an error of the same kind, or a plain one for anything else.</summary>
    private static async Task<DupaException> ErrorFromAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        string? code = null, detail = null;
        try
        {
            using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync(cancellationToken));
            code = problem.RootElement.TryGetProperty("code", out var c) ? c.GetString() : null;
            detail = problem.RootElement.TryGetProperty("detail", out var d) ? d.GetString() : null;
        }
        catch (JsonException)
        {
            // Not problem+json (a proxy's error page): the status says enough.
        }
        var kind = code is null ? ErrorCode.Unknown : ProblemMapping.ErrorCodeOf(code);
        if (kind == ErrorCode.Unknown)
        {
            kind = response.StatusCode switch
            {
                HttpStatusCode.BadRequest or HttpStatusCode.UnsupportedMediaType or HttpStatusCode.RequestEntityTooLarge => ErrorCode.InvalidInput,
                HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden => ErrorCode.WrongPassphrase,
                HttpStatusCode.NotFound => ErrorCode.NotFound,
                HttpStatusCode.TooManyRequests => ErrorCode.Locked,
                _ => ErrorCode.Unknown,
            };
        }
        var message = detail ?? $"the node answered {(int)response.StatusCode} {response.ReasonPhrase}";
        if (response.StatusCode == HttpStatusCode.Unauthorized && code is "unauthorized" or "session_expired")
        {
            message += "; log in again with 'dupa login'";
        }
        return new DupaException(kind, message);
    }

    public void Dispose() => _http.Dispose();
}
