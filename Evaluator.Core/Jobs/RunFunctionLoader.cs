using System.Reflection;
using System.Runtime.Loader;

namespace Evaluator.Core;

/// <summary>Finds a run function's method from its assembly path, type and method names.</summary>
internal static class RunFunctionLoader
{
    /// <summary>Loads the method, reusing an assembly already loaded from the same file, else loading it in a context of its own.</summary>
    public static MethodInfo Load(RunFunction function, bool collectible = false)
    {
        if (function.Method is { } known)
            return known;

        var path = Path.GetFullPath(function.AssemblyPath);
        if (!File.Exists(path))
            throw new InvalidRunFunctionException($"The run function's assembly '{path}' does not exist; RunFunction.AssemblyPath must name a .dll file.");

        Assembly assembly;
        try
        {
            assembly = AppDomain.CurrentDomain.GetAssemblies()
                .FirstOrDefault(a => !a.IsDynamic && string.Equals(a.Location, path, StringComparison.Ordinal))
                ?? new RunFunctionLoadContext(path, collectible).LoadFromAssemblyPath(path);
        }
        catch (Exception e) when (e is BadImageFormatException or FileLoadException or FileNotFoundException)
        {
            throw new InvalidRunFunctionException($"The run function's assembly '{path}' could not be loaded: {e.Message}", e);
        }

        Type? type;
        try
        {
            type = assembly.GetType(function.TypeName, throwOnError: false);
        }
        catch (Exception e) when (e is FileLoadException or FileNotFoundException or TypeLoadException)
        {
            throw new InvalidRunFunctionException($"The type '{function.TypeName}' in '{path}' could not be loaded: {e.Message}", e);
        }
        if (type is null)
            throw new InvalidRunFunctionException(
                $"The assembly '{path}' has no type '{function.TypeName}'; give the full name with its namespace (and '+' before a nested type's name).");

        const BindingFlags all = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static | BindingFlags.Instance | BindingFlags.DeclaredOnly;
        var methods = type.GetMethods(all).Where(m => m.Name == function.MethodName).ToArray();
        return methods.Length switch
        {
            1 => methods[0],
            0 => throw new InvalidRunFunctionException(
                $"The type '{function.TypeName}' in '{path}' has no method '{function.MethodName}'. {InvalidRunFunctionException.AcceptedShapes}"),
            _ => throw new InvalidRunFunctionException(
                $"The type '{function.TypeName}' has {methods.Length} methods named '{function.MethodName}'; a run function must not be overloaded, so give it a name of its own."),
        };
    }

    /// <summary>Loads a run function's assembly with its dependencies from its own folder, sharing only Evaluator.Core with the host.</summary>
    private sealed class RunFunctionLoadContext(string path, bool collectible)
        : AssemblyLoadContext($"RunFunction:{Path.GetFileName(path)}", collectible)
    {
        private static readonly string SharedName = typeof(RunningJob).Assembly.GetName().Name!;
        private readonly AssemblyDependencyResolver _resolver = new(path);

        protected override Assembly? Load(AssemblyName name)
        {
            // Evaluator.Core must be the host's own copy, or RunningJob in the run function's signature would be another type.
            if (name.Name == SharedName)
                return null;
            return _resolver.ResolveAssemblyToPath(name) is { } file ? LoadFromAssemblyPath(file) : null;
        }

        protected override IntPtr LoadUnmanagedDll(string unmanagedDllName) =>
            _resolver.ResolveUnmanagedDllToPath(unmanagedDllName) is { } file ? LoadUnmanagedDllFromPath(file) : IntPtr.Zero;
    }
}
