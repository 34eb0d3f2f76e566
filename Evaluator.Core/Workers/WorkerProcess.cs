using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Threading.Channels;
using CliWrap;
using Evaluator.Core.Execution;
using Evaluator.Core.Protocol;

namespace Evaluator.Core.Workers;

internal enum WorkerState
{
    /// <summary>Takes jobs.</summary>
    Ready,
    /// <summary>Finishes the jobs it has, then stops (job limit or memory limit reached).</summary>
    Retiring,
    /// <summary>Its stdin was closed or it was killed; waiting for its exit.</summary>
    Stopping,
}

internal enum WorkerExitReason
{
    /// <summary>It died on its own: crash, FailFast, stack overflow, killed from outside.</summary>
    Crashed,
    /// <summary>Killed because a job ignored its cancellation past the grace period.</summary>
    KilledForTimeout,
    /// <summary>Stopped by the pool: recycled, idle or closing.</summary>
    Stopped,
    /// <summary>It sent a frame that could not be read.</summary>
    ProtocolError,
}

/// <summary>
/// One <c>Evaluator.WorkerHost</c> process: started through CliWrap, handshake and load done before it joins the pool, then frames
/// flow to the pool's event loop. Every member but <see cref="StartAsync"/> is used by that loop only.
/// </summary>
internal sealed class WorkerProcess
{
    private const int StderrTailLines = 40;
    private static readonly TimeSpan HandshakeTimeout = TimeSpan.FromSeconds(60);

    private readonly Channel<Message> _handshake = Channel.CreateUnbounded<Message>();
    private readonly TaskCompletionSource<Stream> _stdin = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _closeStdin = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _kill = new();
    private readonly Queue<string> _stderrTail = new();
    private readonly WorkQueue<WorkerPool.Event> _events;
    private FrameWriter? _writer;
    private volatile bool _attached;
    private string? _protocolError;
    private Process? _process;
    private TextWriter? _output;

    private WorkerProcess(int index, WorkQueue<WorkerPool.Event> events)
    {
        Index = index;
        _events = events;
    }

    public int Index { get; }

    public int Pid { get; private set; }

    public WorkerState State { get; set; } = WorkerState.Ready;

    public WorkerExitReason ExitReason { get; private set; } = WorkerExitReason.Crashed;

    /// <summary>Jobs sent and not answered, oldest (the running one) first.</summary>
    public List<JobTicket> InFlight { get; } = new(2);

    public int JobsSent { get; set; }

    /// <summary>How many of <see cref="InFlight"/> reached the worker's stdin; the rest were written to a worker already dead.</summary>
    public int Delivered { get; set; }

    /// <summary>When the job at the head of <see cref="InFlight"/> started, or the worker became idle.</summary>
    public double Since { get; set; }

    /// <summary>When (on the evaluator's clock) the pool may next read this worker's memory.</summary>
    public double NextMemoryCheck { get; set; }

    /// <summary>When to kill the worker because its running job ignores cancellation; infinity when not scheduled.</summary>
    public double KillAt { get; set; } = double.PositiveInfinity;

    public bool CancelSent { get; set; }

    public string StderrTail
    {
        get
        {
            lock (_stderrTail)
                return string.Join(Environment.NewLine, _stderrTail);
        }
    }

    /// <summary>Starts a worker and waits until it has loaded the run function; throws <see cref="WorkerStartException"/> otherwise.</summary>
    public static async Task<WorkerProcess> StartAsync(WorkerLaunch launch, int index, WorkQueue<WorkerPool.Event> events, CancellationToken cancellationToken)
    {
        var worker = new WorkerProcess(index, events);
        await worker.LaunchAsync(launch, cancellationToken).ConfigureAwait(false);
        return worker;
    }

    private async Task LaunchAsync(WorkerLaunch launch, CancellationToken cancellationToken)
    {
        _output = launch.Output;
        var command = Cli.Wrap(launch.FileName)
            .WithArguments(launch.Arguments)
            .WithEnvironmentVariables(launch.Environment)
            .WithValidation(CommandResultValidation.None)
            .WithStandardInputPipe(PipeSource.Create(async (stdin, ct) =>
            {
                _stdin.TrySetResult(stdin);
                // Keep stdin open until the pool closes it; CliWrap cancels ct when the process exits.
                await _closeStdin.Task.WaitAsync(ct).ConfigureAwait(false);
            }))
            .WithStandardOutputPipe(PipeTarget.Create((stdout, _) => ReadFramesOnOwnThread(stdout)))
            .WithStandardErrorPipe(PipeTarget.ToDelegate(AddStderrLine));

        CommandTask<CommandResult> execution;
        try
        {
            execution = command.ExecuteAsync(_kill.Token, CancellationToken.None);
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            throw new WorkerStartException($"The worker executable '{launch.Description}' could not be started: {e.Message}", e);
        }
        Pid = execution.ProcessId;
        try
        {
            _process = Process.GetProcessById(Pid);
        }
        catch (ArgumentException)
        {
            // Already gone: the handshake below reports it.
        }
        var exited = ObserveExitAsync(execution);

        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(HandshakeTimeout);
            var hello = await ExpectAsync<Hello>(exited, timeout.Token).ConfigureAwait(false);
            if (hello.ProtocolVersion != WireFormat.ProtocolVersion)
                throw Fail($"speaks protocol version {hello.ProtocolVersion}, but this Evaluator.Core speaks {WireFormat.ProtocolVersion}; use the worker that ships with it");
            _writer = new FrameWriter(await _stdin.Task.WaitAsync(timeout.Token).ConfigureAwait(false));
            _writer.Write(new Load(launch.RunFunction.AssemblyPath, launch.RunFunction.TypeName, launch.RunFunction.MethodName, launch.Kwargs));
            _writer.Flush();
            var loaded = await ExpectAsync<Message>(exited, timeout.Token).ConfigureAwait(false);
            if (loaded is LoadFailed failed)
                throw Fail($"could not load the run function {launch.RunFunction}: {failed.Message}");
            if (loaded is not Loaded)
                throw Fail($"answered Load with {loaded.GetType().Name}");
        }
        catch (Exception e) when (e is not WorkerStartException)
        {
            Kill(WorkerExitReason.Stopped);
            await exited.ConfigureAwait(false);
            throw Fail(e is OperationCanceledException
                ? $"did not finish its handshake within {HandshakeTimeout.TotalSeconds:0} s"
                : $"failed during its handshake: {e.Message}");
        }
        catch
        {
            Kill(WorkerExitReason.Stopped);
            await exited.ConfigureAwait(false);
            throw;
        }

        WorkerStartException Fail(string what)
        {
            var tail = StderrTail;
            return new WorkerStartException(
                $"The worker process {Pid} ('{launch.Description}') {what}."
                + (tail.Length == 0 ? "" : $" Its stderr ends with:{Environment.NewLine}{tail}"));
        }
    }

    private async Task<T> ExpectAsync<T>(Task exited, CancellationToken cancellationToken) where T : Message
    {
        var next = _handshake.Reader.ReadAsync(cancellationToken).AsTask();
        if (await Task.WhenAny(next, exited).ConfigureAwait(false) == exited && !next.IsCompleted)
            throw new InvalidOperationException(_protocolError ?? $"it exited with {DescribeExit(LastExitCode)}");
        var message = await next.ConfigureAwait(false);
        return message as T ?? throw new InvalidOperationException($"it sent {message.GetType().Name} where {typeof(T).Name} was expected");
    }

    private int? LastExitCode { get; set; }

    private async Task ObserveExitAsync(CommandTask<CommandResult> execution)
    {
        try
        {
            LastExitCode = (await execution.ConfigureAwait(false)).ExitCode;
        }
        catch (OperationCanceledException)
        {
            // We killed it.
        }
        _handshake.Writer.TryComplete();
        _kill.Dispose();
        if (_attached)
            _events.TryAdd(new WorkerPool.Exited(this, LastExitCode));
    }

    // A blocking read on a thread of its own wakes once per burst of frames; async reads cost thread-pool hops per read,
    // and blocking reads on pool threads once stalled the pool for a second on two cores.
    private Task ReadFramesOnOwnThread(Stream stdout)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        new Thread(() =>
        {
            try
            {
                ReadFrames(stdout);
                done.TrySetResult();
            }
            catch (Exception e)
            {
                done.TrySetException(e);
            }
        }) { IsBackground = true, Name = $"Evaluator worker {Index} frames" }.Start();
        return done.Task;
    }

    private void ReadFrames(Stream stdout)
    {
        var reader = new FrameReader(stdout);
        try
        {
            while (reader.Read() is { } message)
            {
                if (_attached)
                    _events.TryAdd(new WorkerPool.Frame(this, message));
                else
                {
                    // Frames after Loaded belong to the pool; flip before handing Loaded over so none is lost.
                    if (message is Loaded)
                        _attached = true;
                    _handshake.Writer.TryWrite(message);
                }
            }
        }
        catch (ProtocolException e)
        {
            _protocolError = $"it sent a frame that could not be read: {e.Message}";
            AddStderrLine($"[Evaluator] {_protocolError}");
            Kill(WorkerExitReason.ProtocolError);
        }
    }

    private void AddStderrLine(string line)
    {
        try
        {
            _output?.WriteLine($"[worker {Index}, pid {Pid}] {line}");
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
            // The user's writer is gone; the tail below still serves crash reports.
            _output = null;
        }
        lock (_stderrTail)
        {
            _stderrTail.Enqueue(line.Length > 500 ? line[..500] + "..." : line);
            while (_stderrTail.Count > StderrTailLines)
                _stderrTail.Dequeue();
        }
    }

    /// <summary>Sends a frame without flushing; the pool flushes once per turn of its loop.</summary>
    public void Send(Message message)
    {
        try
        {
            _writer!.Write(message);
        }
        catch (IOException)
        {
            // The worker died; its exit event follows.
        }
    }

    public void Flush()
    {
        try
        {
            _writer!.Flush();
            Delivered = InFlight.Count;
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
            // The worker died; its exit event follows.
        }
    }

    /// <summary>Closes stdin: the worker finishes nothing more and exits.</summary>
    public void Stop()
    {
        ExitReason = WorkerExitReason.Stopped;
        State = WorkerState.Stopping;
        _closeStdin.TrySetResult();
    }

    public void Kill(WorkerExitReason reason)
    {
        ExitReason = reason;
        State = WorkerState.Stopping;
        try
        {
            _kill.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // Already exited.
        }
    }

    /// <summary>The resident memory of the worker process, in bytes; 0 once it has exited (its exit event follows).</summary>
    public long ResidentBytes()
    {
        if (_process is null)
            return 0;
        try
        {
            if (OperatingSystem.IsLinux())
            {
                // One small file (size and resident pages), where Process.Refresh reads several.
                var statm = File.ReadAllText($"/proc/{Pid}/statm").AsSpan();
                statm = statm[(statm.IndexOf(' ') + 1)..];
                return long.Parse(statm[..statm.IndexOf(' ')], System.Globalization.CultureInfo.InvariantCulture) * Environment.SystemPageSize;
            }
            _process.Refresh();
            return _process.WorkingSet64;
        }
        catch (Exception e) when (e is InvalidOperationException or IOException or UnauthorizedAccessException)
        {
            // It died between its last result and this check, which happens under crashes.
            return 0;
        }
    }

    public static string DescribeExit(int? exitCode) => exitCode switch
    {
        null => "no exit code (killed)",
        > 128 when !RuntimeInformation.IsOSPlatform(OSPlatform.Windows) => $"exit code {exitCode} (signal {exitCode - 128}{SignalName(exitCode.Value - 128)})",
        _ => $"exit code {exitCode}",
    };

    private static string SignalName(int signal) => signal switch
    {
        6 => ", SIGABRT",
        9 => ", SIGKILL",
        11 => ", SIGSEGV",
        15 => ", SIGTERM",
        _ => "",
    };

    public override string ToString() => $"worker {Index} (pid {Pid})";
}

/// <summary>How to start a worker: the command line, its environment, and the run function it loads.</summary>
internal sealed record WorkerLaunch(
    string FileName,
    IReadOnlyList<string> Arguments,
    IReadOnlyDictionary<string, string?> Environment,
    RunFunction RunFunction,
    IReadOnlyDictionary<string, object?> Kwargs,
    TextWriter? Output)
{
    private const string WorkerName = "Evaluator.WorkerHost";

    private const string PackagedWorkerFolder = "evaluator-worker";

    public string Description => string.Join(' ', Arguments.Prepend(FileName));

    /// <summary>Finds the worker: <see cref="EvaluatorOptions.WorkerPath"/>, else beside the application or beside Evaluator.Core.</summary>
    public static WorkerLaunch Resolve(EvaluatorOptions options, RunFunction runFunction, IReadOnlyDictionary<string, object?> kwargs)
    {
        var path = options.WorkerPath ?? FindBesideApplication()
            ?? throw new WorkerStartException(
                $"The worker {WorkerName}.dll was found neither in '{AppContext.BaseDirectory}' nor beside Evaluator.Core; "
                + "reference the Evaluator.Core package (it copies the worker into your output) or the Evaluator.WorkerHost project, or set EvaluatorOptions.WorkerPath.");
        path = Path.GetFullPath(path);
        var environment = options.WorkerEnvironment.ToDictionary(e => e.Key, e => (string?)e.Value);
        var runFunction2 = runFunction with { AssemblyPath = Path.GetFullPath(runFunction.AssemblyPath) };
        // Every worker's stderr is read on a thread of its own: the copies must not interleave within a line.
        var output = options.WorkerOutput is null ? null : TextWriter.Synchronized(options.WorkerOutput);
        return path.EndsWith(".dll", StringComparison.OrdinalIgnoreCase)
            ? new WorkerLaunch(DotnetHost(), [path], environment, runFunction2, kwargs, output)
            : new WorkerLaunch(path, [], environment, runFunction2, kwargs, output);
    }

    // The package's copy (evaluator-worker/, compiled ahead of time) first, then one built beside the application.
    private static string? FindBesideApplication() =>
        new[] { AppContext.BaseDirectory, Path.GetDirectoryName(typeof(WorkerLaunch).Assembly.Location) }
            .Where(d => !string.IsNullOrEmpty(d))
            .SelectMany(d => new[] { Path.Combine(d!, PackagedWorkerFolder, WorkerName + ".dll"), Path.Combine(d!, WorkerName + ".dll") })
            .FirstOrDefault(File.Exists);

    private static string DotnetHost()
    {
        if (System.Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host))
            return host;
        if (System.Environment.ProcessPath is { } self && Path.GetFileNameWithoutExtension(self) == "dotnet")
            return self;
        // shared/Microsoft.NETCore.App/<version>/ sits three levels below the dotnet host.
        var root = Path.GetFullPath(Path.Combine(RuntimeEnvironment.GetRuntimeDirectory(), "..", "..", ".."));
        var candidate = Path.Combine(root, OperatingSystem.IsWindows() ? "dotnet.exe" : "dotnet");
        return File.Exists(candidate) ? candidate : "dotnet";
    }
}
