using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http;

namespace Vlm.Pipeline.Serve;

/// <summary>
/// What every response and request passes through: security headers (no MIME sniffing; a
/// Content-Security-Policy that allows the page's own inline script and style by their hashes and
/// nothing else inline; no framing), a Host check when the server listens on loopback (a DNS-rebinding
/// page cannot reach it by another name), a same-origin check on POSTs from browsers (another site's
/// page cannot post to it), and a JSON body on an unexpected failure instead of an empty 500.
/// </summary>
internal sealed class RequestGuard(string page, string host)
{
    readonly string _policy = Policy(page);
    readonly bool _loopback = host is "127.0.0.1" or "localhost" or "::1";

    public async Task Invoke(HttpContext context, RequestDelegate next)
    {
        var headers = context.Response.Headers;
        headers.XContentTypeOptions = "nosniff";
        headers.ContentSecurityPolicy = _policy;
        headers.XFrameOptions = "DENY";
        headers["Referrer-Policy"] = "no-referrer";
        if (_loopback && !IsLoopbackName(context.Request.Host.Host))
        {
            await Refuse(context, StatusCodes.Status421MisdirectedRequest, $"this server answers to 127.0.0.1 or localhost, not '{context.Request.Host.Host}'");
            return;
        }
        if (HttpMethods.IsPost(context.Request.Method) && !IsSameOrigin(context.Request))
        {
            await Refuse(context, StatusCodes.Status403Forbidden, "cross-origin requests are not accepted");
            return;
        }
        try
        {
            await next(context);
        }
        catch (Exception e) when (!context.Response.HasStarted && !context.RequestAborted.IsCancellationRequested)
        {
            await Refuse(context, StatusCodes.Status500InternalServerError, $"the request failed: {e.Message}");
        }
    }

    static bool IsLoopbackName(string name) => name is "127.0.0.1" or "localhost" or "[::1]" or "::1";

    /// <summary>Browsers send Origin (or Sec-Fetch-Site) on a POST; other clients send neither and are not a browser page's forgery.</summary>
    static bool IsSameOrigin(HttpRequest request)
    {
        string origin = request.Headers.Origin.ToString();
        if (origin.Length > 0) return string.Equals(origin, $"{request.Scheme}://{request.Host}", StringComparison.OrdinalIgnoreCase);
        string site = request.Headers["Sec-Fetch-Site"].ToString();
        return site.Length == 0 || site is "same-origin" or "none";
    }

    static string Policy(string page)
    {
        static string Hashes(string page, string tag) => string.Join(' ', Regex.Matches(page, $"<{tag}>(.*?)</{tag}>", RegexOptions.Singleline)
            .Select(m => $"'sha256-{Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(m.Groups[1].Value)))}'"));
        return $"default-src 'none'; script-src {Hashes(page, "script")}; style-src {Hashes(page, "style")}; img-src 'self' blob: data:; connect-src 'self'; "
            + "base-uri 'none'; form-action 'self'; frame-ancestors 'none'";
    }

    static Task Refuse(HttpContext context, int status, string message)
    {
        context.Response.StatusCode = status;
        return context.Response.WriteAsJsonAsync(new { error = message });
    }
}
