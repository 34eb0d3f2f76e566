using Evaluator.Core;
using Evaluator.Core.Execution;
using Evaluator.Core.Protocol;

namespace Evaluator.WorkerHost;

/// <summary>
/// Handshake, load, then run jobs one after another. Frames are read on the main thread and jobs run on a thread of their own,
/// so a Cancel or the end of stdin is seen while a job runs. Both threads block in plain reads and waits, never on the thread
/// pool: on a small machine every hop and spin there costs the host and the other workers CPU.
/// </summary>
internal sealed class Worker(Stream input, Stream output)
{
    private readonly FrameReader _reader = new(input);
    private readonly FrameWriter _writer = new(output);
    private readonly Lock _writeLock = new();
    private readonly WorkQueue<Run> _jobs = new();
    private readonly Lock _cancelLock = new();
    private readonly HashSet<long> _cancelledBeforeStart = [];
    private RunFunctionInvoker? _invoker;
    private long _current = -1;
    private CancellationTokenSource? _currentCancellation;

    public int Run()
    {
        Send(new Hello(WireFormat.ProtocolVersion, Environment.ProcessId));
        Thread? executor = null;
        while (true)
        {
            Message? message;
            try
            {
                message = _reader.Read();
            }
            catch (ProtocolException e)
            {
                Console.Error.WriteLine($"Evaluator.WorkerHost {Environment.ProcessId}: {e.Message}");
                return 3;
            }

            switch (message)
            {
                case null:
                    // The host is gone or closed our stdin: leave at once, even mid-job, so no worker outlives its host.
                    Environment.Exit(0);
                    return 0;
                case Load load when _invoker is null:
                    if (TryLoad(load))
                    {
                        executor = new Thread(Execute) { IsBackground = true, Name = "Evaluator job" };
                        executor.Start();
                    }
                    break;
                case Run run when _invoker is not null:
                    _jobs.TryAdd(run);
                    break;
                case Cancel cancel:
                    RequestCancel(cancel.Ticket);
                    break;
                case Shutdown:
                    _jobs.Complete();
                    executor?.Join();
                    return 0;
                default:
                    Console.Error.WriteLine($"Evaluator.WorkerHost {Environment.ProcessId}: unexpected {message.GetType().Name} message.");
                    return 3;
            }
        }
    }

    private bool TryLoad(Load load)
    {
        try
        {
            var method = RunFunctionLoader.Load(new RunFunction(load.AssemblyPath, load.TypeName, load.MethodName));
            _invoker = RunFunctionInvoker.Bind(method, load.Kwargs);
            Send(new Loaded());
            return true;
        }
        catch (Exception e)
        {
            Send(new LoadFailed(e is InvalidRunFunctionException ? e.Message : $"{e.GetType().FullName}: {e.Message}"));
            return false;
        }
    }

    private void RequestCancel(long ticket)
    {
        lock (_cancelLock)
        {
            if (_current == ticket)
                _currentCancellation?.Cancel();
            else
                _cancelledBeforeStart.Add(ticket);
        }
    }

    private void Execute()
    {
        // Every result is sent before the next job starts: if that job crashes the process, this result is already out.
        while (_jobs.TryTake(out var run))
            Send(RunOne(run));
    }

    private Result RunOne(Run run)
    {
        using var cancellation = new CancellationTokenSource();
        lock (_cancelLock)
        {
            if (_cancelledBeforeStart.Remove(run.Ticket))
                return new Result(run.Ticket, double.NaN, double.NaN, "F_CANCELLED", null, true, Empty, null, null, null, CancelRequested: true);
            _current = run.Ticket;
            _currentCancellation = cancellation;
        }

        var started = UnixMs();
        var job = new RunningJob(run.JobId, run.Parameters, cancellation.Token,
            (budget, objective) => Send(new Record(run.Ticket, budget, objective)));
        RunOutcome outcome;
        try
        {
            outcome = RunOutcome.FromReturnValue(_invoker!.InvokeAsync(job).AsTask().GetAwaiter().GetResult());
        }
        catch (Exception e)
        {
            outcome = RunOutcome.FromException(e);
        }
        var ended = UnixMs();

        bool cancelRequested;
        lock (_cancelLock)
        {
            cancelRequested = cancellation.IsCancellationRequested;
            _current = -1;
            _currentCancellation = null;
        }
        var objective = outcome.Objective;
        return new Result(run.Ticket, started, ended, objective.Failure, objective.IsFailure ? null : [.. objective.Values], objective.IsScalar,
            outcome.Metadata ?? Empty, outcome.Error?.Type, outcome.Error?.Message, outcome.Error?.StackTrace, cancelRequested);
    }

    private void Send(Message message)
    {
        lock (_writeLock)
        {
            _writer.Write(message);
            _writer.Flush();
        }
    }

    // Sub-millisecond, like the host's clock: timestamps and the pool's estimate of job durations need it for short jobs.
    private static double UnixMs() => (DateTime.UtcNow - DateTime.UnixEpoch).TotalMilliseconds;

    private static readonly IReadOnlyDictionary<string, object?> Empty = new Dictionary<string, object?>();
}
