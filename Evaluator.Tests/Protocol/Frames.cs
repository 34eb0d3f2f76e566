using System.Buffers;
using System.Buffers.Binary;
using Evaluator.Core.Protocol;
using MessagePack;

namespace Evaluator.Tests.Protocol;

internal static class Frames
{
    public delegate void Build(ref MessagePackWriter writer);

    public static byte[] Encode(params Message[] messages)
    {
        var stream = new MemoryStream();
        var writer = new FrameWriter(stream);
        foreach (var message in messages)
            writer.Write(message);
        writer.Flush();
        return stream.ToArray();
    }

    public static List<Message> DecodeAll(byte[] bytes)
    {
        var reader = new FrameReader(new MemoryStream(bytes));
        var messages = new List<Message>();
        while (reader.Read() is { } message)
            messages.Add(message);
        return messages;
    }

    public static Message RoundTrip(Message message) => DecodeAll(Encode(message)).Single();

    // A frame around a hand-made payload, to send what FrameWriter never would.
    public static byte[] Raw(Build build)
    {
        var payload = new ArrayBufferWriter<byte>();
        var writer = new MessagePackWriter(payload);
        build(ref writer);
        writer.Flush();
        return WithHeader(payload.WrittenCount, payload.WrittenSpan);
    }

    public static byte[] WithHeader(int length, ReadOnlySpan<byte> payload)
    {
        var frame = new byte[sizeof(int) + payload.Length];
        BinaryPrimitives.WriteInt32LittleEndian(frame, length);
        payload.CopyTo(frame.AsSpan(sizeof(int)));
        return frame;
    }

    // Records compare dictionaries and arrays by reference; the wire only promises equal contents.
    public static void AssertSameContents(Message actual, Message expected)
    {
        Assert.That(actual.GetType(), Is.EqualTo(expected.GetType()));
        using (Assert.EnterMultipleScope())
        {
            foreach (var property in expected.GetType().GetProperties())
                Assert.That(property.GetValue(actual), Is.EqualTo(property.GetValue(expected)), property.Name);
        }
    }
}
