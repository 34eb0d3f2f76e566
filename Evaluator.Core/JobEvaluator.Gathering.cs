using Evaluator.Core.Execution;

namespace Evaluator.Core;

public sealed partial class JobEvaluator
{
    private readonly List<JobTicket> _collected = [];
    private readonly HashSet<string> _localIds = [];
    private readonly List<string> _otherPending = [];
    private readonly Lock _otherLock = new();
    // Held by the running gather; close takes it for good, so a gather and close never touch _collected at once.
    private readonly SemaphoreSlim _gatherGate = new(1, 1);
    private int _knownJobIds;
    [ThreadStatic]
    private static List<JobEvaluator>? t_callbackOwners;

    /// <summary>
    /// Waits for finished jobs. <see cref="GatherMode.All"/>: every job submitted so far (empty when none is pending).
    /// <see cref="GatherMode.Batch"/>: at least <paramref name="size"/> jobs (or all pending, if fewer), plus any others already done.
    /// </summary>
    /// <remarks>
    /// <para>Each finished job is stored, counted in <see cref="NumJobsGathered"/> and returned by exactly one gather (or, if none gathers
    /// it, finished by <see cref="CloseAsync"/>). Callbacks run on the calling thread, after every job of the gather is stored and counted.</para>
    /// <para>A callback that throws does not stop the others: every callback still sees every job (<see cref="EvaluatorCallback.OnDone"/>)
    /// and the result (<see cref="EvaluatorCallback.OnGather"/>); then the gather throws a <see cref="CallbackException"/> whose
    /// <see cref="CallbackException.Result"/> holds the jobs it would have returned. Those jobs are gathered: the next gather does not
    /// return them again.</para>
    /// <para>When <see cref="CloseAsync"/> runs on another thread while a gather waits, the gather stops waiting and returns promptly with the
    /// jobs finished so far (perhaps fewer than asked for, perhaps none); close cancels the rest and reports them to
    /// <see cref="EvaluatorCallback.OnDone"/>. A gather that starts after close throws <see cref="ObjectDisposedException"/>.</para>
    /// <para>When <paramref name="cancellationToken"/> fires, the gather throws <see cref="OperationCanceledException"/>; the jobs it had
    /// collected stay for the next gather.</para>
    /// </remarks>
    /// <exception cref="InvalidOperationException">Batch mode with no job pending, or another gather is running.</exception>
    /// <exception cref="CallbackException">A callback threw; the jobs are in <see cref="CallbackException.Result"/>.</exception>
    /// <exception cref="ObjectDisposedException">The evaluator is closed.</exception>
    public async Task<GatherResult> GatherAsync(GatherMode mode = GatherMode.All, int size = 1, CancellationToken cancellationToken = default)
    {
        var target = BeginGather(mode, size);
        try
        {
            while (!_completions.TryCollect(_collected, target) && !_closed)
                await _completions.WaitAsync(target - _collected.Count, cancellationToken).ConfigureAwait(false);
            return FinishGather();
        }
        finally
        {
            _gatherGate.Release();
        }
    }

    /// <summary>Blocks until finished jobs are available; see <see cref="GatherAsync"/>. Callbacks run on the calling thread.</summary>
    /// <exception cref="InvalidOperationException">Batch mode with no job pending, or another gather is running.</exception>
    /// <exception cref="CallbackException">A callback threw; the jobs are in <see cref="CallbackException.Result"/>.</exception>
    /// <exception cref="ObjectDisposedException">The evaluator is closed.</exception>
    public GatherResult Gather(GatherMode mode = GatherMode.All, int size = 1)
    {
        var target = BeginGather(mode, size);
        try
        {
            while (!_completions.TryCollect(_collected, target) && !_closed)
                _completions.Wait(target - _collected.Count);
            return FinishGather();
        }
        finally
        {
            _gatherGate.Release();
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
        lock (_otherLock)
        {
            var ids = Storage.LoadAllJobIds(SearchId);
            for (; _knownJobIds < ids.Count; _knownJobIds++)
            {
                bool local;
                lock (_localIds)
                    local = _localIds.Contains(ids[_knownJobIds]);
                if (!local)
                    _otherPending.Add(ids[_knownJobIds]);
            }

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
    }

    private int BeginGather(GatherMode mode, int size)
    {
        ThrowIfClosed("Gather");
        if (mode is not (GatherMode.All or GatherMode.Batch))
            throw new ArgumentOutOfRangeException(nameof(mode), mode, "The gather mode must be All or Batch.");
        ArgumentOutOfRangeException.ThrowIfLessThan(size, 1);
        if (!_gatherGate.Wait(0))
        {
            // Close keeps the gate once it has it.
            ThrowIfClosed("Gather");
            throw new InvalidOperationException("Another gather is running on this evaluator; gathers must not overlap.");
        }
        if (_closed)
        {
            _gatherGate.Release();
            ThrowIfClosed("Gather");
        }
        var pending = NumJobsSubmitted - _numGathered;
        if (mode == GatherMode.Batch && pending == 0)
        {
            _gatherGate.Release();
            throw new InvalidOperationException("Gather(BATCH) was called with no job pending; submit jobs first.");
        }
        return mode == GatherMode.All ? pending : Math.Min(size, pending);
    }

    // Runs with the gather gate held. Every collected job is finished, stored and counted before any callback runs, so a callback that
    // throws cannot make a job be reported twice or lost.
    private GatherResult FinishGather()
    {
        var local = FinishCollected(JobStatus.Done);
        var other = GatherOtherJobsDone();
        var result = local.Length == 0 && other.Count == 0 ? GatherResult.Empty : new GatherResult(local, other);

        List<CallbackFailure>? failures = null;
        using (EnterCallbacks())
        {
            CallOnDone(local, ref failures);
            foreach (var job in other)
                CallEach(nameof(EvaluatorCallback.OnDoneOther), job, job, static (callback, job) => callback.OnDoneOther(job), ref failures);
            CallEach(nameof(EvaluatorCallback.OnGather), null, result, static (callback, result) => callback.OnGather(result), ref failures);
        }
        if (failures is not null)
            throw CallbackFailure.ToException(failures, $"the gather's {local.Length} job(s) were gathered and are in Result", local, result);
        return result;
    }

    // Finishes, stores and counts every collected job, then clears the list; no callback runs here.
    private Job[] FinishCollected(JobStatus normalStatus)
    {
        var local = new Job[_collected.Count];
        for (var i = 0; i < local.Length; i++)
            local[i] = Finish(_collected[i], normalStatus);
        _jobsNotDumped.AddRange(local);
        _collected.Clear();
        Interlocked.Add(ref _numGathered, local.Length);
        return local;
    }

    private void CallOnDone(Job[] jobs, ref List<CallbackFailure>? failures)
    {
        foreach (var job in jobs)
            CallEach(nameof(EvaluatorCallback.OnDone), job, job, static (callback, job) => callback.OnDone(job), ref failures);
    }

    // Calls one hook on every callback (the static lambda gets the argument, so no closure per job); one that throws is recorded,
    // naming the job it was for, and does not stop the others.
    private void CallEach<TArgument>(string hook, Job? job, TArgument argument, Action<EvaluatorCallback, TArgument> call, ref List<CallbackFailure>? failures)
    {
        foreach (var callback in _callbacks)
        {
            try
            {
                call(callback, argument);
            }
            catch (Exception e)
            {
                (failures ??= []).Add(new CallbackFailure(callback, hook, job, e));
            }
        }
    }

    // Marks the current thread as running this evaluator's callbacks, so Close called from one of them is refused rather than deadlocking.
    private CallbackScope EnterCallbacks()
    {
        (t_callbackOwners ??= []).Add(this);
        return default;
    }

    private bool InCallback => t_callbackOwners?.Contains(this) == true;

    private readonly struct CallbackScope : IDisposable
    {
        public void Dispose() => t_callbackOwners!.RemoveAt(t_callbackOwners.Count - 1);
    }

    /// <summary>One hook that threw.</summary>
    private sealed record CallbackFailure(EvaluatorCallback Callback, string Hook, Job? Job, Exception Error)
    {
        public override string ToString() =>
            $"{Hook} of {Callback.GetType().Name}{(Job is null ? "" : $" for job {Job.Id}")} threw {Error.GetType().Name}: {Error.Message}";

        public static CallbackException ToException(List<CallbackFailure> failures, string outcome, IReadOnlyList<Job> jobs, GatherResult? result, Exception? extra = null)
        {
            var shown = string.Join("; ", failures.Take(5));
            var more = failures.Count > 5 ? $"; and {failures.Count - 5} more" : "";
            var errors = failures.Select(f => f.Error).ToList();
            if (extra is not null)
                errors.Add(extra);
            var tail = extra is null ? "" : $" Also: {extra.Message}";
            return new CallbackException(
                $"{failures.Count} callback call(s) threw: {shown}{more}. Every other callback still ran and {outcome}.{tail}", errors, jobs, result);
        }
    }

    // Applies a completion to its job and stores it; runs on the gathering (or closing) thread, with the gather gate held.
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
        private readonly object _gate = new();
        private readonly List<JobTicket> _done = [];
        // The waiting gather is woken once this many completions are in (or by a fault or close), not by each one, so a
        // Gather(ALL) over 20,000 jobs wakes once.
        private int _wanted = int.MaxValue;
        private bool _woken;
        private TaskCompletionSource? _asyncWaiter;

        public double Now => owner.Now;

        public EvaluatorException? Fault { get; private set; }

        public void Faulted(EvaluatorException error)
        {
            lock (_gate)
            {
                Fault ??= error;
                WakeLocked();
            }
        }

        /// <summary>Wakes a waiting gather so it sees that the evaluator is closing.</summary>
        public void Wake()
        {
            lock (_gate)
                WakeLocked();
        }

        public void Recorded(JobTicket ticket, double budget, double objective) => owner.Storage.StoreJobRecord(ticket.Job.Id, budget, objective);

        public void Completed(JobTicket ticket, RunOutcome outcome)
        {
            ticket.Outcome = outcome;
            if (double.IsNaN(ticket.EndedAt))
                ticket.EndedAt = owner.Now;
            lock (_gate)
            {
                _done.Add(ticket);
                if (_done.Count >= _wanted)
                    WakeLocked();
            }
        }

        /// <summary>Moves every completion available into <paramref name="into"/>; true once it holds <paramref name="target"/>. Throws once the executor faulted.</summary>
        public bool TryCollect(List<JobTicket> into, int target)
        {
            TryCollectAll(into);
            if (Fault is not null)
                throw Fault;
            return into.Count >= target;
        }

        /// <summary>Moves every completion left into <paramref name="into"/>, fault or not; for close.</summary>
        public void TryCollectAll(List<JobTicket> into)
        {
            lock (_gate)
            {
                into.AddRange(_done);
                _done.Clear();
            }
        }

        /// <summary>Blocks until <paramref name="count"/> more completions are in, or a fault or close wakes it.</summary>
        public void Wait(int count)
        {
            lock (_gate)
            {
                _wanted = count;
                while (!_woken && _done.Count < count && Fault is null)
                    Monitor.Wait(_gate);
                _wanted = int.MaxValue;
                _woken = false;
            }
        }

        /// <summary>Waits until <paramref name="count"/> more completions are in, or a fault or close wakes it.</summary>
        public async Task WaitAsync(int count, CancellationToken cancellationToken)
        {
            Task woken;
            lock (_gate)
            {
                if (_woken || _done.Count >= count || Fault is not null)
                {
                    _woken = false;
                    return;
                }
                _wanted = count;
                _asyncWaiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                woken = _asyncWaiter.Task;
            }
            try
            {
                await woken.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                lock (_gate)
                {
                    _asyncWaiter = null;
                    _wanted = int.MaxValue;
                    _woken = false;
                }
            }
        }

        private void WakeLocked()
        {
            _woken = true;
            Monitor.PulseAll(_gate);
            _asyncWaiter?.TrySetResult();
        }
    }
}
