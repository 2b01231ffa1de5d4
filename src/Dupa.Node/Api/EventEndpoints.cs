using System.Net.WebSockets;
using System.Text.Json;
using Dupa.Node.Data;
using Dupa.Node.Events;
using Dupa.Node.Security;
using Dupa.Node.Sharing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Dupa.Node.Api;

/// <summary>
/// <c>/api/v1/events</c>: a WebSocket that pushes the caller's events as JSON text messages. Browsers cannot set
/// headers on a WebSocket, so the access token may also come as <c>?access_token=</c> on this endpoint alone.
/// </summary>
public static class EventEndpoints
{
    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapGet("/api/v1/events", Events).RequireAuthorization(Scopes.Read).WithTags("Events")
            .WithSummary("WebSocket of live events for your vaults: file.added, file.changed, file.deleted, file.restored, file.moved");
        // Browsers open a WebSocket over an HTTP/2 connection with CONNECT (RFC 8441), not GET.
        app.MapMethods("/api/v1/events", ["CONNECT"], Events).RequireAuthorization(Scopes.Read).ExcludeFromDescription();
    }

    private static async Task<IResult> Events(HttpContext context, NodeDatabase database, EventHub hub)
    {
        if (!context.WebSockets.IsWebSocketRequest)
        {
            return ProblemMapping.Problem(StatusCodes.Status400BadRequest, "websocket_required", "connect with a WebSocket");
        }
        var user = CurrentUser.Get(context.User, database);
        // Subscribed before the socket is accepted: a client that acts the moment it is connected (an upload, say)
        // gets that action's event, which could otherwise be published between the accept and the subscription.
        var channel = hub.Subscribe(user.Id);
        try
        {
            using var socket = await context.WebSockets.AcceptWebSocketAsync();
            // Read from the client only to notice when it closes.
            var closed = DrainAsync(socket, context.RequestAborted);
            while (!closed.IsCompleted)
            {
                var ready = channel.Reader.WaitToReadAsync(context.RequestAborted).AsTask();
                if (await Task.WhenAny(ready, closed) == closed || !await ready)
                {
                    break;
                }
                while (channel.Reader.TryRead(out var nodeEvent))
                {
                    // Checked again as it is sent: an event queued just before a member was removed is not theirs any more.
                    if (nodeEvent.Vault is { } vaultId && !VaultAccess.CanRead(database, user.Id, vaultId))
                    {
                        continue;
                    }
                    await socket.SendAsync(JsonSerializer.SerializeToUtf8Bytes(nodeEvent, NodeJson.Default.NodeEvent), WebSocketMessageType.Text, true, context.RequestAborted);
                }
            }
            if (socket.State == WebSocketState.Open)
            {
                await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "bye", CancellationToken.None);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or WebSocketException)
        {
            // The client went away.
        }
        finally
        {
            hub.Unsubscribe(user.Id, channel);
        }
        return Results.Empty;
    }

    private static async Task DrainAsync(WebSocket socket, CancellationToken cancellationToken)
    {
        var buffer = new byte[1024];
        try
        {
            while (socket.State == WebSocketState.Open)
            {
                var message = await socket.ReceiveAsync(buffer, cancellationToken);
                if (message.MessageType == WebSocketMessageType.Close)
                {
                    return;
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or WebSocketException)
        {
        }
    }
}
