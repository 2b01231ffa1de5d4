using Dupa.Core.Errors;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;

namespace Dupa.Node.Api;

/// <summary>Reading multipart/form-data uploads, with a malformed body answered 400 rather than 500.</summary>
internal static class MultipartForm
{
    /// <summary>RFC 2046: a boundary is 1 to 70 characters.</summary>
    private const int MaxBoundary = 70;

    public static MultipartReader Reader(HttpRequest request)
    {
        var boundary = Microsoft.Net.Http.Headers.HeaderUtilities.RemoveQuotes(Microsoft.Net.Http.Headers.MediaTypeHeaderValue.Parse(request.ContentType).Boundary).Value;
        if (string.IsNullOrEmpty(boundary) || boundary.Length > MaxBoundary)
        {
            throw new DupaException(ErrorCode.InvalidInput, "the multipart body needs a boundary of 1 to 70 characters");
        }
        return new MultipartReader(boundary, request.Body);
    }

    public static async Task<MultipartSection?> NextAsync(MultipartReader reader, CancellationToken cancellationToken)
    {
        try
        {
            return await reader.ReadNextSectionAsync(cancellationToken);
        }
        catch (Exception e) when (e is InvalidDataException or IOException && !cancellationToken.IsCancellationRequested)
        {
            throw new DupaException(ErrorCode.InvalidInput, "the multipart body is malformed or cut short: " + e.Message, e);
        }
    }

    /// <summary>A section's body whose malformed or cut-short end is a bad-input error (400), not a server error.</summary>
    public static Stream Body(MultipartSection section) => new MalformedIsBadInput(section.Body);

    private sealed class MalformedIsBadInput(Stream inner) : Stream
    {
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            try
            {
                return await inner.ReadAsync(buffer, cancellationToken);
            }
            catch (Exception e) when (e is InvalidDataException or IOException && !cancellationToken.IsCancellationRequested)
            {
                throw new DupaException(ErrorCode.InvalidInput, "the multipart body is malformed or cut short: " + e.Message, e);
            }
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
