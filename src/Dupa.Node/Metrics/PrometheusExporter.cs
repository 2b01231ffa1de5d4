using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text;

namespace Dupa.Node.Metrics;

/// <summary>
/// Renders the node's meter in the Prometheus text exposition format (version 0.0.4). Written by hand because
/// no Prometheus exporter package is served by the registry here; it covers counters, gauges and histograms
/// with fixed buckets, which is all the node uses (docs/operations.md).
/// </summary>
public sealed class PrometheusExporter : IDisposable
{
    private static readonly double[] Buckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

    private readonly MeterListener _listener = new();
    private readonly ConcurrentDictionary<(string Name, string Labels), double> _counters = new();
    private readonly ConcurrentDictionary<(string Name, string Labels), long[]> _histograms = new();
    private readonly ConcurrentDictionary<(string Name, string Labels), double> _histogramSums = new();
    private readonly ConcurrentDictionary<string, (string Type, string Help)> _metadata = new();

    public PrometheusExporter(NodeMetrics metrics)
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (ReferenceEquals(instrument.Meter, metrics.Meter))
            {
                var type = instrument switch
                {
                    Counter<long> or Counter<double> => "counter",
                    Histogram<double> => "histogram",
                    _ => "gauge",
                };
                _metadata[Name(instrument)] = (type, instrument.Description ?? "");
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) => Record(instrument, value, tags));
        _listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) => Record(instrument, value, tags));
        _listener.Start();
    }

    public string Render()
    {
        _listener.RecordObservableInstruments();
        var text = new StringBuilder();
        foreach (var (name, (type, help)) in _metadata.OrderBy(m => m.Key, StringComparer.Ordinal))
        {
            text.Append(CultureInfo.InvariantCulture, $"# HELP {name} {help}\n# TYPE {name} {type}\n");
            if (type == "histogram")
            {
                foreach (var ((_, labels), counts) in _histograms.Where(h => h.Key.Name == name).OrderBy(h => h.Key.Labels, StringComparer.Ordinal))
                {
                    long cumulative = 0;
                    for (var i = 0; i < Buckets.Length; i++)
                    {
                        cumulative += Interlocked.Read(ref counts[i]);
                        text.Append(CultureInfo.InvariantCulture, $"{name}_bucket{{{Join(labels, $"le=\"{Buckets[i]}\"")}}} {cumulative}\n");
                    }
                    cumulative += Interlocked.Read(ref counts[^1]);
                    text.Append(CultureInfo.InvariantCulture, $"{name}_bucket{{{Join(labels, "le=\"+Inf\"")}}} {cumulative}\n");
                    text.Append(CultureInfo.InvariantCulture, $"{name}_sum{Braces(labels)} {_histogramSums.GetValueOrDefault((name, labels))}\n");
                    text.Append(CultureInfo.InvariantCulture, $"{name}_count{Braces(labels)} {cumulative}\n");
                }
                continue;
            }
            var suffix = type == "counter" ? "_total" : "";
            foreach (var ((_, labels), value) in _counters.Where(c => c.Key.Name == name).OrderBy(c => c.Key.Labels, StringComparer.Ordinal))
            {
                text.Append(CultureInfo.InvariantCulture, $"{name}{suffix}{Braces(labels)} {value}\n");
            }
        }
        return text.ToString();
    }

    private void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var name = Name(instrument);
        var labels = Labels(tags);
        switch (instrument)
        {
            case Histogram<double>:
                var counts = _histograms.GetOrAdd((name, labels), _ => new long[Buckets.Length + 1]);
                var bucket = Array.FindIndex(Buckets, b => value <= b);
                Interlocked.Increment(ref counts[bucket < 0 ? Buckets.Length : bucket]);
                _histogramSums.AddOrUpdate((name, labels), value, (_, sum) => sum + value);
                break;
            case Counter<long> or Counter<double>:
                _counters.AddOrUpdate((name, labels), value, (_, total) => total + value);
                break;
            default:
                _counters[(name, labels)] = value;
                break;
        }
    }

    private static string Name(Instrument instrument) => instrument.Name.Replace('.', '_');

    private static string Labels(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        if (tags.IsEmpty)
        {
            return "";
        }
        var parts = new List<string>(tags.Length);
        foreach (var tag in tags)
        {
            var value = Convert.ToString(tag.Value, CultureInfo.InvariantCulture) ?? "";
            parts.Add($"{tag.Key}=\"{value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal)}\"");
        }
        parts.Sort(StringComparer.Ordinal);
        return string.Join(',', parts);
    }

    private static string Braces(string labels) => labels.Length == 0 ? "" : "{" + labels + "}";

    private static string Join(string labels, string extra) => labels.Length == 0 ? extra : labels + "," + extra;

    public void Dispose() => _listener.Dispose();
}
