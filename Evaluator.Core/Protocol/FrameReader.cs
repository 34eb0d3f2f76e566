using System.Buffers.Binary;

namespace Evaluator.Core.Protocol;

// A frame is a 4-byte little-endian payload length, then that many bytes holding one message.
// The reader reads ahead into its buffer, so a burst of small frames costs one system call, not two
// per frame. One reader per stream, one read at a time; a cancelled or failed read leaves the
// stream mid-frame, so the channel is dead after it.
internal sealed class FrameReader
{
    private const int InitialBufferLength = 4 * 1024;
    private const int RetainedBufferLength = 1024 * 1024;

    private readonly Stream _stream;
    private readonly int _maxFrameLength;
    private byte[] _buffer = new byte[InitialBufferLength];
    private int _start;
    private int _end;

    public FrameReader(Stream stream, int maxFrameLength = WireFormat.DefaultMaxFrameLength)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxFrameLength);
        _stream = stream;
        _maxFrameLength = maxFrameLength;
    }

    /// <returns>The next message, or null when the stream ends cleanly between frames.</returns>
    public Message? Read()
    {
        if (!Fill(sizeof(int)))
        {
            if (_end == _start)
                return null;
            throw new ProtocolException($"The stream ended {_end - _start} bytes into a 4-byte frame header.");
        }

        int length = BinaryPrimitives.ReadInt32LittleEndian(_buffer.AsSpan(_start));
        if (length <= 0 || length > _maxFrameLength)
            throw new ProtocolException($"A frame header claims {length} bytes; frames hold 1 to {_maxFrameLength} bytes.");

        if (!Fill(sizeof(int) + length))
            throw new ProtocolException($"The stream ended {_end - _start - sizeof(int)} bytes into a {length}-byte frame.");
        var message = WireFormat.Deserialize(_buffer.AsMemory(_start + sizeof(int), length));
        _start += sizeof(int) + length;

        if (_start == _end && _buffer.Length > RetainedBufferLength)
        {
            // One huge message should not pin its buffer for the life of the channel.
            _buffer = new byte[InitialBufferLength];
            _start = _end = 0;
        }
        return message;
    }

    // Makes `count` bytes available from _start; false when the stream ends first. The buffer grows only as bytes arrive,
    // so a forged length with little behind it costs nothing.
    private bool Fill(int count)
    {
        while (_end - _start < count)
        {
            if (_start > 0)
            {
                _buffer.AsSpan(_start, _end - _start).CopyTo(_buffer);
                _end -= _start;
                _start = 0;
            }
            if (_end == _buffer.Length)
                Array.Resize(ref _buffer, (int)Math.Min(Math.Max(count, InitialBufferLength), 2L * _buffer.Length));

            int read = _stream.Read(_buffer.AsSpan(_end));
            if (read == 0)
                return false;
            _end += read;
        }
        return true;
    }
}
