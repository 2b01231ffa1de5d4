using Dupa.Core.Errors;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Logging;

namespace Dupa.Node.Api;

/// <summary>
/// The one place errors become HTTP responses: RFC 9457 problem+json with a stable <c>code</c> per kind.
/// Messages of the engine's errors are written for users and carry no secrets; anything else is a bug, logged
/// here and answered with a generic 500 that leaks nothing.
/// </summary>
public sealed partial class ProblemMapping(IProblemDetailsService problems, ILogger<ProblemMapping> logger) : IExceptionHandler
{
    public static (int Status, string Code) For(ErrorCode code) => code switch
    {
        ErrorCode.InvalidInput => (StatusCodes.Status400BadRequest, "invalid_input"),
        ErrorCode.WrongPassphrase => (StatusCodes.Status403Forbidden, "wrong_passphrase"),
        ErrorCode.NotFound => (StatusCodes.Status404NotFound, "not_found"),
        ErrorCode.AlreadyExists => (StatusCodes.Status409Conflict, "already_exists"),
        ErrorCode.Locked => (StatusCodes.Status409Conflict, "vault_busy"),
        ErrorCode.NotUnlocked => (StatusCodes.Status423Locked, "vault_locked"),
        ErrorCode.WriteOnce => (StatusCodes.Status409Conflict, "write_once"),
        ErrorCode.Io => (StatusCodes.Status507InsufficientStorage, "storage_error"),
        ErrorCode.QuotaExceeded => (StatusCodes.Status507InsufficientStorage, "quota_exceeded"),
        ErrorCode.Cancelled => (StatusCodes.Status400BadRequest, "cancelled"),
        ErrorCode.Integrity => (StatusCodes.Status500InternalServerError, "integrity"),
        ErrorCode.Forbidden => (StatusCodes.Status403Forbidden, "forbidden_role"),
        ErrorCode.KeyRotated => (StatusCodes.Status403Forbidden, "key_rotated"),
        _ => (StatusCodes.Status500InternalServerError, "internal"),
    };

    /// <summary>The error kind behind a problem's <c>code</c>, for clients (the CLI's remote mode); the node's own auth codes included.</summary>
    public static ErrorCode ErrorCodeOf(string code) => code switch
    {
        "bad_credentials" or "wrong_password" or "unauthorized" or "session_expired" or "forbidden" => ErrorCode.WrongPassphrase,
        "too_many_attempts" => ErrorCode.Locked,
        "bad_request" or "unsupported_media_type" => ErrorCode.InvalidInput,
        _ => Enum.GetValues<ErrorCode>().FirstOrDefault(kind => kind != ErrorCode.Unknown && For(kind).Code == code),
    };

    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        ProblemDetails problem;
        switch (exception)
        {
            case DupaException dupa:
                {
                    var (status, code) = For(dupa.Code);
                    problem = new ProblemDetails { Status = status, Title = Title(status), Detail = dupa.Message, Extensions = { ["code"] = code } };
                    if (dupa.Code == ErrorCode.Integrity)
                    {
                        LogDamage(logger, dupa.Message);
                    }
                    break;
                }
            case BadHttpRequestException bad:
                problem = new ProblemDetails { Status = bad.StatusCode, Title = Title(bad.StatusCode), Detail = bad.Message, Extensions = { ["code"] = "bad_request" } };
                break;
            case OperationCanceledException when httpContext.RequestAborted.IsCancellationRequested:
                // The client went away; nobody is left to answer.
                return true;
            default:
                LogBug(logger, exception);
                problem = new ProblemDetails { Status = 500, Title = Title(500), Detail = "an unexpected error; it has been logged", Extensions = { ["code"] = "internal" } };
                break;
        }
        httpContext.Response.StatusCode = problem.Status!.Value;
        return await problems.TryWriteAsync(new ProblemDetailsContext { HttpContext = httpContext, ProblemDetails = problem, Exception = exception });
    }

    /// <summary>The code of a problem the framework raised itself (no route, no token, a body that is not JSON).</summary>
    public static string CodeFor(int status) => status switch
    {
        StatusCodes.Status400BadRequest => "bad_request",
        StatusCodes.Status401Unauthorized => "unauthorized",
        StatusCodes.Status403Forbidden => "forbidden",
        StatusCodes.Status404NotFound => "not_found",
        StatusCodes.Status405MethodNotAllowed => "method_not_allowed",
        StatusCodes.Status413PayloadTooLarge => "too_large",
        StatusCodes.Status415UnsupportedMediaType => "unsupported_media_type",
        StatusCodes.Status429TooManyRequests => "too_many_requests",
        _ => status >= 500 ? "internal" : "error",
    };

    /// <summary>A problem response for an endpoint to return directly.</summary>
    public static IResult Problem(int status, string code, string detail) =>
        Results.Problem(statusCode: status, title: Title(status), detail: detail, extensions: new Dictionary<string, object?> { ["code"] = code });

    private static string Title(int status) => ReasonPhrases.GetReasonPhrase(status);

    [LoggerMessage(Level = LogLevel.Error, Message = "damaged data: {Detail}")]
    private static partial void LogDamage(ILogger logger, string detail);

    [LoggerMessage(Level = LogLevel.Error, Message = "unhandled error")]
    private static partial void LogBug(ILogger logger, Exception exception);
}
