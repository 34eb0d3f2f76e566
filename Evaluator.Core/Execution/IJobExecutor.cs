namespace Evaluator.Core.Execution;

/// <summary>Runs tickets somewhere (threads, worker processes, remote workers) and reports back through an <see cref="IJobSink"/>.</summary>
internal interface IJobExecutor
{
    /// <summary>How many jobs run at once.</summary>
    int NumWorkers { get; }

    /// <summary>Queues a job; never blocks.</summary>
    void Enqueue(JobTicket ticket);

    /// <summary>Asks every queued and running job to stop; queued ones complete as cancelled.</summary>
    void CancelAll(CancelReason reason);

    /// <summary>Cancels everything, waits until every ticket has completed and every worker is gone.</summary>
    Task CloseAsync();
}

/// <summary>Where executors report what happens to jobs; safe to call from any thread.</summary>
internal interface IJobSink
{
    /// <summary>Seconds since the evaluator was created.</summary>
    double Now { get; }

    /// <summary>Records an intermediate objective of a running job.</summary>
    void Recorded(JobTicket ticket, double budget, double objective);

    /// <summary>Hands a finished job to the next gather; called exactly once per ticket.</summary>
    void Completed(JobTicket ticket, RunOutcome outcome);

    /// <summary>The executor cannot run jobs any more; the next Submit or gather throws <paramref name="error"/>.</summary>
    void Faulted(EvaluatorException error);
}
