using System.Diagnostics.Metrics;

namespace Dupa.Node.Metrics;

/// <summary>The node's instruments (System.Diagnostics.Metrics), exported at /metrics by <see cref="PrometheusExporter"/>.</summary>
public sealed class NodeMetrics : IDisposable
{
    public const string MeterName = "Dupa.Node";

    private readonly Meter _meter = new(MeterName);

    /// <summary>This node's meter: the exporter listens to it alone, not to other nodes in the same process (tests).</summary>
    public Meter Meter => _meter;

    public NodeMetrics()
    {
        Requests = _meter.CreateCounter<long>("dupa_http_requests", description: "HTTP requests answered, by method and status");
        Duration = _meter.CreateHistogram<double>("dupa_http_request_duration_seconds", "s", "Time to answer a request");
        BytesIn = _meter.CreateCounter<long>("dupa_http_received_bytes", "By", "Request body bytes received");
        BytesOut = _meter.CreateCounter<long>("dupa_http_sent_bytes", "By", "Response body bytes sent");
        LoginsFailed = _meter.CreateCounter<long>("dupa_logins_failed", description: "Logins refused: a wrong password, or throttled");
        JobDuration = _meter.CreateHistogram<double>("dupa_job_duration_seconds", "s", "How long background jobs ran, by kind and outcome");
    }

    public Counter<long> Requests { get; }
    public Histogram<double> Duration { get; }
    public Counter<long> BytesIn { get; }
    public Counter<long> BytesOut { get; }
    public Counter<long> LoginsFailed { get; }

    public Histogram<double> JobDuration { get; }

    /// <summary>A gauge read at scrape time.</summary>
    public void ObserveGauge(string name, string description, Func<long> read) => _meter.CreateObservableGauge(name, read, description: description);

    public void ObserveGauge(string name, string description, Func<double> read) => _meter.CreateObservableGauge(name, read, description: description);

    public void Dispose() => _meter.Dispose();
}
