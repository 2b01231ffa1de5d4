using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Spectre.Console;

namespace Dupa.Cli;

/// <summary>How the CLI prints: human text on stdout, progress on stderr (only at a terminal), JSON for scripts.</summary>
public static class Output
{
    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        WriteIndented = true,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        // One converter per enum that --json prints, not the converter factory, which makes them by reflection.
        Converters =
        {
            new JsonStringEnumConverter<Core.Manifest.NodeType>(JsonNamingPolicy.CamelCase),
            new JsonStringEnumConverter<Core.Search.HitSource>(JsonNamingPolicy.CamelCase),
            new JsonStringEnumConverter<Core.Vaults.ChangeKind>(JsonNamingPolicy.CamelCase),
        },
        TypeInfoResolver = CliJson.Resolver,
    };

    public static void Json<T>(T value) => Console.Out.WriteLine(JsonSerializer.Serialize(value, (JsonTypeInfo<T>)JsonOptions.GetTypeInfo(typeof(T))));

    public static string Size(long bytes)
    {
        string[] units = ["B", "KiB", "MiB", "GiB", "TiB"];
        double value = bytes;
        var unit = 0;
        while (value >= 1024 && unit < units.Length - 1)
        {
            value /= 1024;
            unit++;
        }
        return unit == 0 ? $"{bytes} B" : string.Create(CultureInfo.InvariantCulture, $"{value:0.0} {units[unit]}");
    }

    public static string Time(DateTimeOffset time) => time.ToLocalTime().ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);

    public static string Time(long unixNs) => Time(DateTimeOffset.FromUnixTimeMilliseconds(unixNs / 1_000_000));

    /// <summary>Progress bars go to stderr and only when it is a terminal, so pipes and scripts see clean output.</summary>
    public static bool ShowProgress(bool json) => !json && !Console.IsErrorRedirected;

    public static IAnsiConsole ProgressConsole { get; } = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });

    /// <summary>Runs <paramref name="work"/> with a progress bar of bytes when <paramref name="show"/>, else plainly.</summary>
    public static async Task<T> WithProgress<T>(bool show, string description, Func<Action<long, long, string>, Task<T>> work)
    {
        if (!show)
        {
            return await work((_, _, _) => { });
        }
        T result = default!;
        await ProgressConsole.Progress()
            .AutoClear(true)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new DownloadedColumn(), new TransferSpeedColumn(), new RemainingTimeColumn())
            .StartAsync(async context =>
            {
                var task = context.AddTask(description, maxValue: 1);
                result = await work((done, total, label) =>
                {
                    task.MaxValue = Math.Max(total, 1);
                    task.Value = done;
                    task.Description = Markup.Escape(label);
                });
                task.Value = task.MaxValue;
            });
        return result;
    }
}
