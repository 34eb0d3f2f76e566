using System.Diagnostics;
using MessagePack;
using MessagePack.Formatters;

namespace Evaluator.Core.Protocol;

// Hand-written because attribute-driven formatters are generated at run time, which costs a worker
// tens of milliseconds before its first answer. A message is the array [kind, field1, field2, ...].
internal sealed class MessageFormatter : IMessagePackFormatter<Message>
{
    public static readonly MessageFormatter Instance = new();

    public void Serialize(ref MessagePackWriter writer, Message value, MessagePackSerializerOptions options)
    {
        writer.WriteArrayHeader(1 + FieldCount(value.Kind));
        writer.Write((byte)value.Kind);
        switch (value)
        {
            case Load m:
                writer.Write(m.AssemblyPath);
                writer.Write(m.TypeName);
                writer.Write(m.MethodName);
                PlainDataFormatter.Write(ref writer, m.Kwargs);
                break;
            case Run m:
                writer.Write(m.Ticket);
                writer.Write(m.JobId);
                PlainDataFormatter.Write(ref writer, m.Parameters);
                break;
            case Cancel m:
                writer.Write(m.Ticket);
                break;
            case Hello m:
                writer.Write(m.ProtocolVersion);
                writer.Write(m.Pid);
                break;
            case LoadFailed m:
                writer.Write(m.Message);
                break;
            case Result m:
                writer.Write(m.Ticket);
                writer.Write(m.StartedUnixMs);
                writer.Write(m.EndedUnixMs);
                writer.Write(m.Failure);
                WriteDoubles(ref writer, m.Objectives);
                writer.Write(m.IsScalar);
                PlainDataFormatter.Write(ref writer, m.Metadata);
                writer.Write(m.ErrorType);
                writer.Write(m.ErrorMessage);
                writer.Write(m.ErrorStackTrace);
                writer.Write(m.CancelRequested);
                break;
            case Record m:
                writer.Write(m.Ticket);
                writer.Write(m.Budget);
                writer.Write(m.Objective);
                break;
            case Log m:
                writer.Write(m.Text);
                break;
        }
    }

    public Message Deserialize(ref MessagePackReader reader, MessagePackSerializerOptions options)
    {
        int count = reader.ReadArrayHeader();
        if (count == 0)
            throw new ProtocolException("A message is an empty array; it must start with its kind.");

        var kind = (MessageKind)reader.ReadByte();
        if (count != 1 + FieldCount(kind))
            throw new ProtocolException($"A {kind} message should have {FieldCount(kind)} fields but has {count - 1}.");

        return kind switch
        {
            MessageKind.Load => new Load(Text(ref reader, kind), Text(ref reader, kind), Text(ref reader, kind), PlainDataFormatter.ReadMap(ref reader, options)),
            MessageKind.Run => new Run(reader.ReadInt64(), Text(ref reader, kind), PlainDataFormatter.ReadMap(ref reader, options)),
            MessageKind.Cancel => new Cancel(reader.ReadInt64()),
            MessageKind.Shutdown => new Shutdown(),
            MessageKind.Hello => new Hello(reader.ReadInt32(), reader.ReadInt32()),
            MessageKind.Loaded => new Loaded(),
            MessageKind.LoadFailed => new LoadFailed(Text(ref reader, kind)),
            MessageKind.Result => new Result(
                reader.ReadInt64(),
                reader.ReadDouble(),
                reader.ReadDouble(),
                reader.ReadString(),
                ReadDoubles(ref reader),
                reader.ReadBoolean(),
                PlainDataFormatter.ReadMap(ref reader, options),
                reader.ReadString(),
                reader.ReadString(),
                reader.ReadString(),
                reader.ReadBoolean()),
            MessageKind.Record => new Record(reader.ReadInt64(), reader.ReadDouble(), reader.ReadDouble()),
            MessageKind.Log => new Log(Text(ref reader, kind)),
            _ => throw new UnreachableException(),
        };
    }

    private static int FieldCount(MessageKind kind) => kind switch
    {
        MessageKind.Shutdown or MessageKind.Loaded => 0,
        MessageKind.Cancel or MessageKind.LoadFailed or MessageKind.Log => 1,
        MessageKind.Hello => 2,
        MessageKind.Run or MessageKind.Record => 3,
        MessageKind.Load => 4,
        MessageKind.Result => 11,
        _ => throw new ProtocolException(
            $"Message kind {(byte)kind} is unknown to protocol version {WireFormat.ProtocolVersion}."),
    };

    private static string Text(ref MessagePackReader reader, MessageKind kind) =>
        reader.ReadString() ?? throw new ProtocolException($"A {kind} message has nil where it needs a string.");

    private static void WriteDoubles(ref MessagePackWriter writer, double[]? values)
    {
        if (values is null)
        {
            writer.WriteNil();
            return;
        }
        writer.WriteArrayHeader(values.Length);
        foreach (double value in values)
            writer.Write(value);
    }

    private static double[]? ReadDoubles(ref MessagePackReader reader)
    {
        if (reader.TryReadNil())
            return null;
        var values = new double[reader.ReadArrayHeader()];
        for (int i = 0; i < values.Length; i++)
            values[i] = reader.ReadDouble();
        return values;
    }
}
