using System.Buffers.Binary;
using System.IO.Pipelines;
using Evaluator.Core.Protocol;

namespace Evaluator.Tests.Protocol;

[CancelAfter(30_000)]
public class FramingSpecs
{
    private static readonly Dictionary<string, object?> Parameters = new() { ["x"] = 1.5, ["y"] = "a" };

    [Test]
    public void A_clean_end_of_stream_reads_as_null()
    {
        var reader = new FrameReader(new MemoryStream(Frames.Encode(new Loaded())));

        Assert.That(reader.Read(), Is.TypeOf<Loaded>());
        Assert.That(reader.Read(), Is.Null);
        Assert.That(reader.Read(), Is.Null);
    }

    [Test]
    public void Many_messages_written_with_one_flush_read_back_in_order_from_one_stream_write()
    {
        var stream = new CountingStream();
        var writer = new FrameWriter(stream);
        for (int i = 0; i < 10_000; i++)
            writer.Write(new Run(i, $"s.{i}", Parameters));

        writer.Flush();
        var messages = Frames.DecodeAll(stream.ToArray());

        Assert.That(stream.Writes, Is.EqualTo(1));
        Assert.That(writer.PendingBytes, Is.Zero);
        Assert.That(messages.Cast<Run>().Select(run => run.Ticket), Is.EqualTo(Enumerable.Range(0, 10_000).Select(i => (long)i)));
    }

    [Test]
    public void The_blocking_reader_takes_a_burst_of_frames_in_few_reads_and_joins_frames_split_across_reads()
    {
        var bytes = Frames.Encode(Enumerable.Range(0, 1_000).Select(i => (Message)new Run(i, $"s.{i}", Parameters)).ToArray());
        var whole = new ReadCountingStream(bytes, maxChunk: int.MaxValue);
        var trickle = new ReadCountingStream(bytes, maxChunk: 3);

        var fromWhole = ReadAll(new FrameReader(whole));
        var fromTrickle = ReadAll(new FrameReader(trickle));

        Assert.Multiple(() =>
        {
            Assert.That(fromWhole.Cast<Run>().Select(run => run.Ticket), Is.EqualTo(Enumerable.Range(0, 1_000).Select(i => (long)i)));
            Assert.That(fromTrickle.Cast<Run>().Select(run => run.Ticket), Is.EqualTo(Enumerable.Range(0, 1_000).Select(i => (long)i)));
            Assert.That(whole.Reads, Is.LessThan(bytes.Length / 1_000), "frames are read ahead, not one system call per frame");
        });

        static List<Message> ReadAll(FrameReader reader)
        {
            var messages = new List<Message>();
            while (reader.Read() is { } message)
                messages.Add(message);
            return messages;
        }
    }

    [Test]
    public async Task A_10_MB_string_in_a_Result_round_trips_through_a_pipe()
    {
        var pipe = new Pipe();
        var writer = new FrameWriter(pipe.Writer.AsStream());
        var reader = new FrameReader(pipe.Reader.AsStream());
        string huge = new('x', 10 * 1024 * 1024);
        var result = new Result(1, 0, 1, null, [1], true, new Dictionary<string, object?> { ["log"] = huge }, null, huge, null, false);

        var sending = Task.Run(async () =>
        {
            writer.Write(result);
            writer.Write(new Log("after"));
            writer.Flush();
            await pipe.Writer.CompleteAsync();
        });
        var received = reader.Read();
        var next = reader.Read();
        await sending;

        Frames.AssertSameContents(received!, result);
        Assert.That(next, Is.EqualTo(new Log("after")));
        Assert.That(reader.Read(), Is.Null);
    }

    [Test]
    public async Task Frames_arriving_a_byte_at_a_time_read_whole()
    {
        byte[] bytes = Frames.Encode(new Run(1, "s.1", Parameters), new Cancel(1), new Shutdown());
        var pipe = new Pipe();
        var reader = new FrameReader(pipe.Reader.AsStream());

        var sending = Task.Run(async () =>
        {
            foreach (byte b in bytes)
                await pipe.Writer.WriteAsync(new[] { b });
            await pipe.Writer.CompleteAsync();
        });
        var messages = new List<Message>();
        while (reader.Read() is { } message)
            messages.Add(message);
        await sending;

        Assert.That(messages.Select(m => m.Kind), Is.EqualTo(new[] { MessageKind.Run, MessageKind.Cancel, MessageKind.Shutdown }));
    }

    [TestCase(1)]
    [TestCase(3)]
    public void A_truncated_header_is_a_protocol_error(int length)
    {
        byte[] bytes = Frames.Encode(new Loaded())[..length];

        var error = Assert.Throws<ProtocolException>(() => Frames.DecodeAll(bytes));

        Assert.That(error.Message, Is.EqualTo($"The stream ended {length} bytes into a 4-byte frame header."));
    }

    [Test]
    public void A_truncated_payload_is_a_protocol_error()
    {
        byte[] frame = Frames.Encode(new Log("hello"));
        byte[] bytes = frame[..^2];

        var error = Assert.Throws<ProtocolException>(() => Frames.DecodeAll(bytes));

        Assert.That(error.Message, Is.EqualTo($"The stream ended {frame.Length - 6} bytes into a {frame.Length - 4}-byte frame."));
    }

    [TestCase(0)]
    [TestCase(-1)]
    [TestCase(int.MinValue)]
    public void A_zero_or_negative_length_is_a_protocol_error(int length)
    {
        byte[] bytes = Frames.WithHeader(length, new byte[10]);

        Assert.Throws<ProtocolException>(() => Frames.DecodeAll(bytes));
    }

    [TestCase(int.MaxValue)]
    [TestCase(WireFormat.DefaultMaxFrameLength + 1)]
    [TestCase(200 * 1024 * 1024)]
    public void A_forged_length_fails_fast_without_allocating_it(int length)
    {
        var stream = new MemoryStream(Frames.WithHeader(length, new byte[10]));
        var reader = new FrameReader(stream);
        long before = GC.GetAllocatedBytesForCurrentThread();

        Assert.Throws<ProtocolException>(() => reader.Read());
        Assert.That(GC.GetAllocatedBytesForCurrentThread() - before, Is.LessThan(1024 * 1024));
    }

    [Test]
    public void A_frame_over_a_configured_limit_is_refused_by_both_ends()
    {
        var log = new Log(new string('x', 100));
        var reader = new FrameReader(new MemoryStream(Frames.Encode(log)), maxFrameLength: 64);
        var writer = new FrameWriter(new MemoryStream(), maxFrameLength: 64);

        var readError = Assert.Throws<ProtocolException>(() => reader.Read());
        var writeError = Assert.Throws<ProtocolException>(() => writer.Write(log));

        Assert.That(readError.Message, Does.Contain("frames hold 1 to 64 bytes"));
        Assert.That(writeError.Message, Does.Contain("more than the 64-byte frame limit"));
    }

    [Test]
    public void A_message_that_cannot_be_written_leaves_the_pending_frames_intact()
    {
        var stream = new MemoryStream();
        var writer = new FrameWriter(stream);
        writer.Write(new Cancel(1));

        var error = Assert.Throws<ProtocolException>(() =>
            writer.Write(new Run(2, "s.2", new Dictionary<string, object?> { ["price"] = 1.5m })));
        writer.Write(new Cancel(3));
        writer.Flush();

        Assert.That(error.Message, Does.Contain("System.Decimal"));
        Assert.That(Frames.DecodeAll(stream.ToArray()), Is.EqualTo(new Message[] { new Cancel(1), new Cancel(3) }));
    }

    [Test]
    public void The_header_is_the_little_endian_payload_length()
    {
        byte[] bytes = Frames.Encode(new Shutdown());

        Assert.That(BinaryPrimitives.ReadInt32LittleEndian(bytes), Is.EqualTo(bytes.Length - 4));
        Assert.That(Frames.DecodeAll(bytes), Is.EqualTo(new Message[] { new Shutdown() }));
    }

    private sealed class CountingStream : MemoryStream
    {
        public int Writes { get; private set; }

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            Writes++;
            base.Write(buffer);
        }
    }

    // Hands out at most maxChunk bytes per read, as a pipe may, and counts the reads.
    private sealed class ReadCountingStream(byte[] bytes, int maxChunk) : MemoryStream(bytes)
    {
        public int Reads { get; private set; }

        public override int Read(Span<byte> buffer)
        {
            Reads++;
            return base.Read(buffer[..Math.Min(buffer.Length, maxChunk)]);
        }
    }
}
