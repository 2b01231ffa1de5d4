using System.Net.WebSockets;

namespace Dupa.Node.Peers;

/// <summary>
/// A WebSocket opened at a relay, with the HTTP/2 connection it runs on: the connection must live exactly as long as
/// the WebSocket, so both are disposed together.
/// </summary>
public sealed class RelayConnection(ClientWebSocket socket, HttpMessageInvoker invoker) : IDisposable
{
    public WebSocket Socket => socket;

    /// <summary>The WebSocket as a byte stream (binary messages, boundaries meaningless); disposing it disposes this connection.</summary>
    public Stream AsStream() => new OwningStream(WebSocketStream.Create(socket, WebSocketMessageType.Binary, TimeSpan.FromSeconds(2)), this);

    public void Dispose()
    {
        socket.Dispose();
        invoker.Dispose();
    }

    /// <summary>A stream that passes everything to <paramref name="inner"/> and disposes <paramref name="owner"/> after it.</summary>
    private sealed class OwningStream(Stream inner, IDisposable owner) : Stream
    {
        public override bool CanRead => inner.CanRead;

        public override bool CanWrite => inner.CanWrite;

        public override bool CanSeek => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => inner.ReadAsync(buffer, cancellationToken);

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => inner.ReadAsync(buffer, offset, count, cancellationToken);

        public override void Write(byte[] buffer, int offset, int count) => inner.Write(buffer, offset, count);

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) => inner.WriteAsync(buffer, cancellationToken);

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => inner.WriteAsync(buffer, offset, count, cancellationToken);

        public override void Flush() => inner.Flush();

        public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                try
                {
                    inner.Dispose();
                }
                finally
                {
                    owner.Dispose();
                }
            }
            base.Dispose(disposing);
        }

        /// <summary>Closes the WebSocket gracefully first; the base then calls <see cref="Dispose(bool)"/> for the rest.</summary>
        public override async ValueTask DisposeAsync()
        {
            await inner.DisposeAsync();
            await base.DisposeAsync();
        }
    }
}
