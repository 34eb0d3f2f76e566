using System.Threading.Channels;
using Evaluator.Core.Execution;

namespace Evaluator.Core;

public partial class JobEvaluator
{
    private readonly List<JobTicket> _collected = [];
    private readonly HashSet<string> _localIds = [];
    private readonly List<string> _otherPending = [];
    private int _knownJobIds;

    /// <summary>
    /// Waits for finished jobs. <see cref="GatherMode.All"/>: every job submitted so far (empty when none is pending).
    /// <see cref="GatherMode.Batch"/>: at least <paramref name="size"/> jobs (or all pending, if fewer), plus any others already done.
    /// </summary>
    /// <exception cref="InvalidOperationException">Batch mode with no job pending, or another gather is running.</exception>
    public async Task<GatherResult> GatherAsync(GatherMode mode = GatherMode.All, int size = 1, CancellationToken cancellationToken = default)
    {
        var target = BeginGather(mode, size);
        try
        {
            while (!_completions.TryCollect(_collected, target))
                if (!await _completions.WaitAsync(cancellationToken).ConfigureAwait(false))
                    break;
            return FinishGather();
        }
        finally
        {
            Volatile.Write(ref _gathering, 0);
        }
    }

    /// <summary>Blocks until finished jobs are available; see <see cref="GatherAsync"/>. Callbacks run on the calling thread.</summary>
    public GatherResult Gather(GatherMode mode = GatherMode.All, int size = 1)
    {
        var target = BeginGather(mode, size);
        try
        {
            while (!_completions.TryCollect(_collected, target))
                if (!_completions.WaitAsync(CancellationToken.None).AsTask().GetAwaiter().GetResult())
                    break;
            return FinishGather();
        }
        finally
        {
            Volatile.Write(ref _gathering, 0);
        }
    }

    /// <summary>DeepHyper's spelling: <c>"ALL"</c> or <c>"BATCH"</c>; see <see cref="GatherAsync"/>.</summary>
    /// <exception cref="ArgumentException"><paramref name="type"/> is neither.</exception>
    public GatherResult Gather(string type, int size = 1) => Gather(ParseMode(type), size);

    /// <summary>Jobs that other evaluators sharing this evaluator's storage and search finished since the last call, each reported once.</summary>
    public IReadOnlyList<Job> GatherOtherJobsDone()
    {
        if (!_storageShared)
            return [];
        var ids = Storage.LoadAllJobIds(SearchId);
        for (; _knownJobIds < ids.Count; _knownJobIds++)
            if (!_localIds.Contains(ids[_knownJobIds]))
                _otherPending.Add(ids[_knownJobIds]);

        var done = new List<Job>();
        _otherPending.RemoveAll(id =>
        {
            var stored = Storage.LoadJob(id);
            if (!stored.HasOutput)
                return false;
            var job = new Job(id, ParseNumber(id), stored.In, new Dictionary<string, object?>(stored.Metadata));
            var outcome = RunOutcome.FromReturnValue(stored.Out);
            job.Complete(outcome.Objective, null, outcome.Error, stored.Status is JobStatus.Cancelled ? JobStatus.Cancelled : JobStatus.Done);
            done.Add(job);
            return true;
        });
        return done;
    }

    private int BeginGather(GatherMode mode, int size)
    {
        ObjectDisposedException.ThrowIf(_closed, this);
        if (mode is not (GatherMode.All or GatherMode.Batch))
            throw new ArgumentOutOfRangeException(nameof(mode), mode, "The gather mode must be All or Batch.");
        ArgumentOutOfRangeException.ThrowIfLessThan(size, 1);
        if (Interlocked.Exchange(ref _gathering, 1) == 1)
            throw new InvalidOperationException("Another gather is running on this evaluator; gathers must not overlap.");
        var pending = _numSubmitted - _numGathered;
        if (mode == GatherMode.Batch && pending == 0)
        {
            Volatile.Write(ref _gathering, 0);
            throw new InvalidOperationException("Gather(BATCH) was called with no job pending; submit jobs first.");
        }
        return mode == GatherMode.All ? pending : Math.Min(size, pending);
    }

    private GatherResult FinishGather()
    {
        var local = new Job[_collected.Count];
        for (var i = 0; i < local.Length; i++)
            local[i] = Finish(_collected[i], JobStatus.Done);
        _jobsNotDumped.AddRange(local);
        _collected.Clear();
        Interlocked.Add(ref _numGathered, local.Length);

        var other = GatherOtherJobsDone();
        foreach (var job in other)
            foreach (var callback in _callbacks)
                callback.OnDoneOther(job);

        var result = local.Length == 0 && other.Count == 0 ? GatherResult.Empty : new GatherResult(local, other);
        foreach (var callback in _callbacks)
            callback.OnGather(result);
        return result;
    }

    // Applies a completion to its job, stores it and calls OnDone; runs on the gathering thread.
    private Job Finish(JobTicket ticket, JobStatus normalStatus)
    {
        var job = ticket.Job;
        var outcome = ticket.Outcome!;
        if (!double.IsNaN(ticket.StartedAt))
            job.SetMetadata("timestamp_start", ticket.StartedAt);
        job.SetMetadata("timestamp_end", ticket.EndedAt);
        if (ticket.WorkerPid is { } pid)
            job.SetMetadata("worker_pid", pid);
        job.SetMetadata("timestamp_gather", Now);
        var status = ticket.CancelReason == CancelReason.None ? normalStatus : JobStatus.Cancelled;
        job.Complete(outcome.Objective, outcome.Metadata, outcome.Error, status);

        Storage.StoreJobOut(job.Id, Job.ObjectiveAsPlainData(outcome.Objective));
        foreach (var (key, value) in job.Metadata)
            Storage.StoreJobMetadata(job.Id, key, value);
        Storage.StoreJobStatus(job.Id, status);
        foreach (var callback in _callbacks)
            callback.OnDone(job);
        return job;
    }

    private static GatherMode ParseMode(string type) => type?.Trim().ToUpperInvariant() switch
    {
        "ALL" => GatherMode.All,
        "BATCH" => GatherMode.Batch,
        _ => throw new ArgumentException($"'{type}' is not a gather type; use \"ALL\" or \"BATCH\".", nameof(type)),
    };

    /// <summary>Receives completions from executor threads and wakes the gather; the only state shared with them.</summary>
    private sealed class CompletionQueue(JobEvaluator owner) : IJobSink
    {
        // Wakes a waiting gather when the executor faults; never handed out.
        private static readonly JobTicket FaultMarker = new(new Job("", 0, new Dictionary<string, object?>()), 0);

        private readonly Channel<JobTicket> _channel = Channel.CreateUnbounded<JobTicket>(new UnboundedChannelOptions { SingleReader = true });

        public double Now => owner.Now;

        public EvaluatorException? Fault { get; private set; }

        public void Faulted(EvaluatorException error)
        {
            Fault ??= error;
            _channel.Writer.TryWrite(FaultMarker);
        }

        public void Recorded(JobTicket ticket, double budget, double objective) => owner.Storage.StoreJobRecord(ticket.Job.Id, budget, objective);

        public void Completed(JobTicket ticket, RunOutcome outcome)
        {
            ticket.Outcome = outcome;
            if (double.IsNaN(ticket.EndedAt))
                ticket.EndedAt = owner.Now;
            _channel.Writer.TryWrite(ticket);
        }

        /// <summary>Moves every completion available into <paramref name="into"/>; true once it holds <paramref name="target"/>. Throws once the executor faulted.</summary>
        public bool TryCollect(List<JobTicket> into, int target)
        {
            while (_channel.Reader.TryRead(out var ticket))
                if (ticket != FaultMarker)
                    into.Add(ticket);
            if (Fault is not null)
                throw Fault;
            return into.Count >= target;
        }

        /// <summary>Moves every completion left into <paramref name="into"/>, fault or not; for close.</summary>
        public void TryCollectAll(List<JobTicket> into)
        {
            while (_channel.Reader.TryRead(out var ticket))
                if (ticket != FaultMarker)
                    into.Add(ticket);
        }

        public ValueTask<bool> WaitAsync(CancellationToken cancellationToken) => _channel.Reader.WaitToReadAsync(cancellationToken);
    }
}
