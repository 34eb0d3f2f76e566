using System.Buffers.Binary;

namespace Evaluator.Core.Protocol;

// A frame is a 4-byte little-endian payload length, then that many bytes holding one message.
// One reader per stream, one ReadAsync at a time; a cancelled or failed read leaves the stream
// mid-frame, so the channel is dead after it.
internal sealed class FrameReader
{
    private const int InitialBufferLength = 4 * 1024;
    private const int RetainedBufferLength = 1024 * 1024;

    private readonly Stream _stream;
    private readonly int _maxFrameLength;
    private byte[] _buffer = new byte[InitialBufferLength];

    public FrameReader(Stream stream, int maxFrameLength = WireFormat.DefaultMaxFrameLength)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxFrameLength);
        _stream = stream;
        _maxFrameLength = maxFrameLength;
    }

    /// <returns>The next message, or null when the stream ends cleanly between frames.</returns>
    public async ValueTask<Message?> ReadAsync(CancellationToken cancellationToken = default)
    {
        int headerLength = await _stream
            .ReadAtLeastAsync(_buffer.AsMemory(0, sizeof(int)), sizeof(int), throwOnEndOfStream: false, cancellationToken)
            .ConfigureAwait(false);
        if (headerLength == 0)
            return null;
        if (headerLength < sizeof(int))
            throw new ProtocolException($"The stream ended {headerLength} bytes into a 4-byte frame header.");

        int length = BinaryPrimitives.ReadInt32LittleEndian(_buffer);
        if (length <= 0 || length > _maxFrameLength)
            throw new ProtocolException($"A frame header claims {length} bytes; frames hold 1 to {_maxFrameLength} bytes.");

        await ReadPayloadAsync(length, cancellationToken).ConfigureAwait(false);
        var message = WireFormat.Deserialize(_buffer.AsMemory(0, length));

        if (_buffer.Length > RetainedBufferLength)
            _buffer = new byte[InitialBufferLength];
        return message;
    }

    // The buffer grows only as bytes arrive, so a forged length with little behind it costs nothing.
    private async ValueTask ReadPayloadAsync(int length, CancellationToken cancellationToken)
    {
        for (int received = 0; received < length;)
        {
            if (received == _buffer.Length)
                Array.Resize(ref _buffer, (int)Math.Min(length, 2L * _buffer.Length));

            int read = await _stream
                .ReadAsync(_buffer.AsMemory(received, Math.Min(length, _buffer.Length) - received), cancellationToken)
                .ConfigureAwait(false);
            if (read == 0)
                throw new ProtocolException($"The stream ended {received} bytes into a {length}-byte frame.");
            received += read;
        }
    }
}
