using Dupa.Core.Errors;
using Dupa.Node.Events;

namespace Dupa.Node.Jobs;

public enum JobState
{
    Running,
    Succeeded,
    Failed,
    Cancelled,
}

/// <summary>A long operation on a vault (verify today; gc and forget when they exist), run in the background.</summary>
public sealed class Job
{
    internal Job(string id, string userId, string vaultId, string kind, DateTimeOffset started)
    {
        Id = id;
        UserId = userId;
        VaultId = vaultId;
        Kind = kind;
        Started = started;
    }

    public string Id { get; }
    public string UserId { get; }
    public string VaultId { get; }
    public string Kind { get; }
    public DateTimeOffset Started { get; }
    public DateTimeOffset? Finished { get; internal set; }
    private volatile JobState _state = JobState.Running;

    /// <summary>Written last when the job ends, so a reader that sees it ended also sees its end time, result and error.</summary>
    public JobState State { get => _state; internal set => _state = value; }

    /// <summary>0 to 1.</summary>
    public double Progress { get; internal set; }

    public object? Result { get; internal set; }
    public string? Error { get; internal set; }
    internal CancellationTokenSource Cancel { get; } = new();
}

/// <summary>
/// Runs jobs on the thread pool, reports their progress on the owner's event socket, and keeps finished jobs
/// for an hour so their results can be read.
/// </summary>
public sealed class JobRunner(EventHub events, TimeProvider time, Metrics.NodeMetrics metrics) : IDisposable
{
    private static readonly TimeSpan KeepFinished = TimeSpan.FromHours(1);
    private readonly Dictionary<string, Job> _jobs = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();

    public Job Start(string userId, string vaultId, string kind, Func<IProgress<double>, CancellationToken, Task<object>> work)
    {
        var job = new Job(Guid.NewGuid().ToString("N")[..16], userId, vaultId, kind, time.GetUtcNow());
        lock (_gate)
        {
            foreach (var old in _jobs.Values.Where(j => j.Finished is { } f && time.GetUtcNow() - f > KeepFinished).ToList())
            {
                _jobs.Remove(old.Id);
            }
            _jobs[job.Id] = job;
        }
        var progress = new Progress(job, this);
        _ = Task.Run(async () =>
        {
            JobState state;
            try
            {
                job.Result = await work(progress, job.Cancel.Token);
                job.Progress = 1;
                state = JobState.Succeeded;
            }
            catch (OperationCanceledException)
            {
                state = JobState.Cancelled;
            }
            catch (DupaException e)
            {
                state = JobState.Failed;
                job.Error = e.Message;
            }
            catch (Exception e) when (e is IOException or InvalidOperationException)
            {
                state = JobState.Failed;
                job.Error = e.Message;
            }
            var name = state.ToString().ToLowerInvariant();
            job.Finished = time.GetUtcNow();
            metrics.JobDuration.Record((job.Finished.Value - job.Started).TotalSeconds,
                new KeyValuePair<string, object?>("kind", job.Kind), new KeyValuePair<string, object?>("state", name));
            // Last: whoever sees the job ended (a poll of its state) finds its end time and its duration metric too.
            job.State = state;
            events.Publish(job.UserId, new NodeEvent("job." + name, job.VaultId, job.Id, time.GetUtcNow()));
        });
        return job;
    }

    public IReadOnlyList<Job> JobsOf(string userId)
    {
        lock (_gate)
        {
            return _jobs.Values.Where(j => j.UserId == userId).OrderByDescending(j => j.Started).ToList();
        }
    }

    public Job Get(string userId, string id)
    {
        lock (_gate)
        {
            return _jobs.TryGetValue(id, out var job) && job.UserId == userId ? job : throw new DupaException(ErrorCode.NotFound, "no such job");
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            foreach (var job in _jobs.Values)
            {
                job.Cancel.Cancel();
            }
        }
    }

    private sealed class Progress(Job job, JobRunner runner) : IProgress<double>
    {
        private double _reported;

        public void Report(double value)
        {
            job.Progress = value;
            // Every 5% is enough for a progress bar and keeps the event socket quiet.
            if (value - _reported >= 0.05)
            {
                _reported = value;
                runner.PublishProgress(job);
            }
        }
    }

    private void PublishProgress(Job job) =>
        events.Publish(job.UserId, new NodeEvent("job.progress", job.VaultId, job.Id, time.GetUtcNow()));
}
