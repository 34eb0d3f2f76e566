using System.Buffers;
using System.Collections;
using System.Globalization;
using MessagePack;
using MessagePack.Formatters;

namespace Evaluator.Core.Protocol;

// Values that cross the process boundary: null, bool, integers (read back as long), float and double
// (read back as double), string, byte[], lists (read back as object?[]) and string-keyed maps (read
// back as Dictionary<string, object?>). PlainData.IsPlain accepts exactly what Write can write.
internal sealed class PlainDataFormatter : IMessagePackFormatter<object?>
{
    public static readonly PlainDataFormatter Instance = new();

    public void Serialize(ref MessagePackWriter writer, object? value, MessagePackSerializerOptions options) =>
        Write(ref writer, value);

    public object? Deserialize(ref MessagePackReader reader, MessagePackSerializerOptions options) =>
        Read(ref reader, options);

    public static object? Read(ref MessagePackReader reader, MessagePackSerializerOptions options)
    {
        switch (reader.NextMessagePackType)
        {
            case MessagePackType.Nil:
                reader.ReadNil();
                return null;
            case MessagePackType.Boolean:
                return reader.ReadBoolean();
            case MessagePackType.Integer:
                return reader.ReadInt64();
            case MessagePackType.Float:
                return reader.ReadDouble();
            case MessagePackType.String:
                return reader.ReadString();
            case MessagePackType.Binary:
                return reader.ReadBytes()!.Value.ToArray();
            case MessagePackType.Array:
                return ReadList(ref reader, options);
            case MessagePackType.Map:
                return ReadMap(ref reader, options);
            case var type:
                throw new ProtocolException($"A value is a MessagePack {type}, which is not plain data.");
        }
    }

    public static void Write(ref MessagePackWriter writer, object? value, int depth = 0)
    {
        switch (value)
        {
            case null:
                writer.WriteNil();
                break;
            case bool b:
                writer.Write(b);
                break;
            case int i:
                writer.Write(i);
                break;
            case long l:
                writer.Write(l);
                break;
            case sbyte or byte or short or ushort or uint:
                writer.Write(Convert.ToInt64(value, CultureInfo.InvariantCulture));
                break;
            case double d:
                writer.Write(d);
                break;
            case float f:
                writer.Write(f);
                break;
            case string s:
                writer.Write(s);
                break;
            case byte[] bytes:
                writer.Write(bytes);
                break;
            case IReadOnlyDictionary<string, object?> map:
                CheckDepth(depth);
                writer.WriteMapHeader(map.Count);
                foreach (var (key, item) in map)
                {
                    writer.Write(key);
                    Write(ref writer, item, depth + 1);
                }
                break;
            case IDictionary map:
                CheckDepth(depth);
                writer.WriteMapHeader(map.Count);
                foreach (DictionaryEntry entry in map)
                {
                    writer.Write(entry.Key as string
                        ?? throw new ProtocolException($"A map key of type {entry.Key.GetType()} cannot cross to another process; keys must be strings."));
                    Write(ref writer, entry.Value, depth + 1);
                }
                break;
            case IList list:
                CheckDepth(depth);
                writer.WriteArrayHeader(list.Count);
                foreach (object? item in list)
                    Write(ref writer, item, depth + 1);
                break;
            default:
                throw new ProtocolException($"A value of type {value.GetType()} cannot cross to another process; only plain data can.");
        }
    }

    public static Dictionary<string, object?> ReadMap(ref MessagePackReader reader, MessagePackSerializerOptions options)
    {
        options.Security.DepthStep(ref reader);
        int count = reader.ReadMapHeader();
        // The default string comparer already falls back to randomised hashing when keys collide.
        var map = new Dictionary<string, object?>(count);
        for (int i = 0; i < count; i++)
        {
            if (reader.NextMessagePackType != MessagePackType.String)
                throw new ProtocolException($"A map key is a MessagePack {reader.NextMessagePackType}; plain-data maps have string keys.");
            string key = reader.ReadString()!;
            if (!map.TryAdd(key, Read(ref reader, options)))
                throw new ProtocolException($"A map holds the key \"{key}\" twice.");
        }
        reader.Depth--;
        return map;
    }

    private static object?[] ReadList(ref MessagePackReader reader, MessagePackSerializerOptions options)
    {
        options.Security.DepthStep(ref reader);
        var list = new object?[reader.ReadArrayHeader()];
        for (int i = 0; i < list.Length; i++)
            list[i] = Read(ref reader, options);
        reader.Depth--;
        return list;
    }

    private static void CheckDepth(int depth)
    {
        if (depth >= WireFormat.MaxNesting)
            throw new ProtocolException(
                $"A value nests lists and maps more than {WireFormat.MaxNesting} deep; does a list or map contain itself?");
    }
}
