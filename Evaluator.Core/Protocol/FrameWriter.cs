using System.Buffers;
using System.Buffers.Binary;

namespace Evaluator.Core.Protocol;

// Write buffers whole frames; Flush sends them in one stream write, so the host can batch many
// Run frames per flush. One caller at a time; a failed flush leaves the stream mid-frame, so the
// channel is dead after it.
internal sealed class FrameWriter
{
    private const int RetainedBufferLength = 1024 * 1024;

    private readonly Stream _stream;
    private readonly int _maxFrameLength;
    private ArrayBufferWriter<byte> _payload = new();
    private ArrayBufferWriter<byte> _pending = new();

    public FrameWriter(Stream stream, int maxFrameLength = WireFormat.DefaultMaxFrameLength)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxFrameLength);
        _stream = stream;
        _maxFrameLength = maxFrameLength;
    }

    public int PendingBytes => _pending.WrittenCount;

    // Serialises apart from the pending frames so a message that fails (say, a non-plain value) leaves them intact.
    public void Write(Message message)
    {
        _payload.ResetWrittenCount();
        WireFormat.Serialize(_payload, message);
        if (_payload.WrittenCount > _maxFrameLength)
            throw new ProtocolException(
                $"A {message.Kind} message takes {_payload.WrittenCount} bytes, more than the {_maxFrameLength}-byte frame limit.");

        BinaryPrimitives.WriteInt32LittleEndian(_pending.GetSpan(sizeof(int)), _payload.WrittenCount);
        _pending.Advance(sizeof(int));
        _pending.Write(_payload.WrittenSpan);
    }

    /// <summary>Sends the pending frames in one blocking write.</summary>
    public void Flush()
    {
        if (_pending.WrittenCount > 0)
        {
            _stream.Write(_pending.WrittenSpan);
            _pending.ResetWrittenCount();
        }
        _stream.Flush();
        TrimBuffers();
    }

    // One huge message should not pin its buffers for the life of the worker.
    private void TrimBuffers()
    {
        if (_pending.Capacity > RetainedBufferLength)
            _pending = new ArrayBufferWriter<byte>();
        if (_payload.Capacity > RetainedBufferLength)
            _payload = new ArrayBufferWriter<byte>();
    }
}
