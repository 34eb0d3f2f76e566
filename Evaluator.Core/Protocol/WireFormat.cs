using System.Buffers;
using MessagePack;
using MessagePack.Formatters;
using MessagePack.Resolvers;

namespace Evaluator.Core.Protocol;

/// <summary>How one message becomes the bytes of one frame payload, and back.</summary>
internal static class WireFormat
{
    public const int ProtocolVersion = 1;

    public const int DefaultMaxFrameLength = 256 * 1024 * 1024;

    // How deep lists and maps may nest in one field; the field's own map is the first level.
    public const int MaxNesting = 64;

    // The frame code calls the formatters directly; the resolver serves anyone who goes through
    // MessagePackSerializer with these options. Never the typeless resolver: it instantiates any type
    // the peer names, and plain data needs none. Nor the standard resolvers: their dynamic ones emit
    // code when first touched, which once cost a new worker tens of milliseconds before its Hello.
    public static readonly MessagePackSerializerOptions Options =
        new MessagePackSerializerOptions(CompositeResolver.Create(MessageFormatter.Instance, PlainDataFormatter.Instance))
            .WithSecurity(MessagePackSecurity.UntrustedData.WithMaximumObjectGraphDepth(MaxNesting));

    public static void Serialize(IBufferWriter<byte> output, Message message)
    {
        var writer = new MessagePackWriter(output);
        MessageFormatter.Instance.Serialize(ref writer, message, Options);
        writer.Flush();
    }

    public static Message Deserialize(ReadOnlyMemory<byte> payload)
    {
        var reader = new MessagePackReader(payload);
        try
        {
            var message = MessageFormatter.Instance.Deserialize(ref reader, Options);
            return reader.End
                ? message
                : throw new ProtocolException($"A frame holds stray bytes after its {message.Kind} message.");
        }
        // Whatever the reader trips on (a wrong type code, a short string, too deep a graph, an integer
        // out of range), the cause is the same: the peer sent bytes that are not a message.
        catch (Exception exception) when (exception is not (ProtocolException or OutOfMemoryException))
        {
            throw new ProtocolException($"A frame of {payload.Length} bytes does not hold a valid message: {exception.Message}", exception);
        }
    }
}
