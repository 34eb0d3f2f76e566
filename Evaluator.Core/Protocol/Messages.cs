namespace Evaluator.Core.Protocol;

// The values are the wire tags: never renumber, only add (and bump WireFormat.ProtocolVersion).
internal enum MessageKind : byte
{
    Load = 1,
    Run = 2,
    Cancel = 3,
    Shutdown = 4,

    Hello = 16,
    Loaded = 17,
    LoadFailed = 18,
    Result = 19,
    Record = 20,
    Log = 21,
}

internal abstract record Message
{
    public abstract MessageKind Kind { get; }
}

// host → worker

internal sealed record Load(string AssemblyPath, string TypeName, string MethodName, IReadOnlyDictionary<string, object?> Kwargs) : Message
{
    public override MessageKind Kind => MessageKind.Load;
}

internal sealed record Run(long Ticket, string JobId, IReadOnlyDictionary<string, object?> Parameters) : Message
{
    public override MessageKind Kind => MessageKind.Run;
}

internal sealed record Cancel(long Ticket) : Message
{
    public override MessageKind Kind => MessageKind.Cancel;
}

internal sealed record Shutdown : Message
{
    public override MessageKind Kind => MessageKind.Shutdown;
}

// worker → host

internal sealed record Hello(int ProtocolVersion, int Pid) : Message
{
    public override MessageKind Kind => MessageKind.Hello;
}

internal sealed record Loaded : Message
{
    public override MessageKind Kind => MessageKind.Loaded;
}

internal sealed record LoadFailed(string Message) : Message
{
    public override MessageKind Kind => MessageKind.LoadFailed;
}

internal sealed record Result(
    long Ticket,
    double StartedUnixMs,
    double EndedUnixMs,
    string? Failure,
    double[]? Objectives,
    bool IsScalar,
    IReadOnlyDictionary<string, object?> Metadata,
    string? ErrorType,
    string? ErrorMessage,
    string? ErrorStackTrace,
    bool CancelRequested) : Message
{
    public override MessageKind Kind => MessageKind.Result;
}

internal sealed record Record(long Ticket, double Budget, double Objective) : Message
{
    public override MessageKind Kind => MessageKind.Record;
}

internal sealed record Log(string Text) : Message
{
    public override MessageKind Kind => MessageKind.Log;
}
