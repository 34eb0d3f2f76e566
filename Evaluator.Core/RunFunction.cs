using System.Reflection;
using System.Runtime.CompilerServices;

namespace Evaluator.Core;

/// <summary>
/// Where a worker finds the run function: an assembly file, a type and a method. Workers load it by these
/// three names, so it must be a static method or a lambda that captures nothing.
/// </summary>
/// <param name="AssemblyPath">The path of the assembly (.dll) that holds the type.</param>
/// <param name="TypeName">The type's full name, with <c>+</c> before nested type names.</param>
/// <param name="MethodName">The method's name; it must not be overloaded.</param>
public sealed record RunFunction(string AssemblyPath, string TypeName, string MethodName)
{
    /// <summary>The method itself when this run function was made from a delegate in this process.</summary>
    internal MethodInfo? Method { get; private init; }

    /// <summary>Makes a run function from a static method or a lambda that captures nothing.</summary>
    /// <exception cref="ArgumentException">The delegate captures state, has several targets or lives in an in-memory assembly.</exception>
    public static RunFunction From(Delegate function)
    {
        ArgumentNullException.ThrowIfNull(function);
        if (function.GetInvocationList().Length > 1)
            throw new ArgumentException("A run function must be a single method, but this delegate combines several.", nameof(function));

        var method = function.Method;
        var type = method.DeclaringType
            ?? throw new ArgumentException($"The run function '{method.Name}' is a global method; declare it in a type.", nameof(function));
        if (function.Target is { } target && !IsCaptureFreeLambdaHolder(target))
            throw new ArgumentException(
                $"The run function '{type.FullName}.{method.Name}' captures variables (its target is an instance of '{target.GetType().FullName}'), "
                + "so a worker process cannot rebuild it. Make it a static method, or a lambda that uses only its parameters and pass values through RunFunctionKwargs.",
                nameof(function));

        var path = type.Assembly.Location;
        if (string.IsNullOrEmpty(path))
            throw new ArgumentException(
                $"The run function '{type.FullName}.{method.Name}' lives in assembly '{type.Assembly.GetName().Name}', which has no file on disk, so a worker cannot load it.",
                nameof(function));

        return new RunFunction(path, type.FullName!, method.Name) { Method = method };
    }

    /// <summary>Parses <c>"path/to/My.dll:My.Namespace.Type.Method"</c>.</summary>
    /// <exception cref="FormatException">The text does not have that shape.</exception>
    public static RunFunction Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        // The last ':' separates path from member, so Windows drive letters ("C:\...") still parse.
        var colon = text.LastIndexOf(':');
        var dot = colon < 0 ? -1 : text.LastIndexOf('.');
        var typeStart = colon + 1;
        if (colon <= 0 || dot <= typeStart || dot == text.Length - 1)
            throw new FormatException($"'{text}' is not a run function reference; expected 'path/to/Assembly.dll:Namespace.Type.Method'.");
        return new RunFunction(text[..colon], text[typeStart..dot], text[(dot + 1)..]);
    }

    /// <inheritdoc />
    public override string ToString() => $"{AssemblyPath}:{TypeName}.{MethodName}";

    // The C# compiler puts capture-free lambdas on a singleton of a nested class named "<>c".
    private static bool IsCaptureFreeLambdaHolder(object target)
    {
        var type = target.GetType();
        return type.IsDefined(typeof(CompilerGeneratedAttribute)) && type.Name == "<>c";
    }
}
