using System.Reflection;
using System.Runtime.CompilerServices;

namespace Evaluator.Core;

/// <summary>Calls a run function on a job: binds its parameters once, then invokes it for each job and unwraps tasks.</summary>
internal sealed class RunFunctionInvoker
{
    private enum Source : byte { Job, Parameters, Token, Fixed }

    private readonly MethodInfo _method;
    private readonly object? _instance;
    private readonly Source[] _sources;
    private readonly object?[] _fixed;
    private readonly Func<object, ValueTask<object?>>? _unwrap;

    private RunFunctionInvoker(MethodInfo method, object? instance, Source[] sources, object?[] fixedValues, Func<object, ValueTask<object?>>? unwrap)
    {
        _method = method;
        _instance = instance;
        _sources = sources;
        _fixed = fixedValues;
        _unwrap = unwrap;
    }

    /// <summary>Checks the method's shape and binds <paramref name="kwargs"/> to its parameters by name.</summary>
    /// <exception cref="InvalidRunFunctionException">The signature is not one workers can call.</exception>
    public static RunFunctionInvoker Bind(MethodInfo method, IReadOnlyDictionary<string, object?>? kwargs)
    {
        kwargs ??= new Dictionary<string, object?>();
        var name = $"{method.DeclaringType?.FullName}.{method.Name}";
        InvalidRunFunctionException Wrong(string why) => new($"The run function '{name}' {why}. {InvalidRunFunctionException.AcceptedShapes}");

        if (method.ContainsGenericParameters)
            throw Wrong("is generic");
        var parameters = method.GetParameters();
        if (parameters.Length == 0)
            throw Wrong("takes no parameters, so it cannot receive the job");

        var sources = new Source[parameters.Length];
        var fixedValues = new object?[parameters.Length];
        sources[0] = parameters[0].ParameterType == typeof(RunningJob) ? Source.Job
            : parameters[0].ParameterType == typeof(IReadOnlyDictionary<string, object?>) ? Source.Parameters
            : throw Wrong($"takes {parameters[0].ParameterType.Name} '{parameters[0].Name}' first");

        var used = new HashSet<string>();
        for (var i = 1; i < parameters.Length; i++)
        {
            var p = parameters[i];
            if (p.ParameterType.IsByRef)
                throw Wrong($"has a ref or out parameter '{p.Name}'");
            if (p.ParameterType == typeof(CancellationToken))
            {
                if (i != parameters.Length - 1)
                    throw Wrong("takes a CancellationToken that is not its last parameter");
                sources[i] = Source.Token;
                continue;
            }
            sources[i] = Source.Fixed;
            if (kwargs.TryGetValue(p.Name!, out var value))
            {
                used.Add(p.Name!);
                fixedValues[i] = Convert(value, p, name);
            }
            else if (p.HasDefaultValue)
                fixedValues[i] = p.DefaultValue;
            else
                throw new InvalidRunFunctionException(
                    $"The run function '{name}' has a parameter '{p.Name}' with no default value and RunFunctionKwargs has no '{p.Name}'; add it to EvaluatorOptions.RunFunctionKwargs.");
        }
        var unused = kwargs.Keys.Where(k => !used.Contains(k)).ToArray();
        if (unused.Length > 0)
            throw new InvalidRunFunctionException(
                $"RunFunctionKwargs has {string.Join(", ", unused.Select(k => $"'{k}'"))}, but the run function '{name}' has no parameter of that name.");

        return new RunFunctionInvoker(method, CreateTarget(method, name), sources, fixedValues, Unwrapper(method.ReturnType, Wrong));
    }

    /// <summary>Runs the function on one job; exceptions it throws propagate.</summary>
    public ValueTask<object?> InvokeAsync(RunningJob job)
    {
        var args = new object?[_sources.Length];
        for (var i = 0; i < args.Length; i++)
            args[i] = _sources[i] switch
            {
                Source.Job => job,
                Source.Parameters => job.Parameters,
                Source.Token => job.CancellationToken,
                _ => _fixed[i],
            };
        object? result;
        try
        {
            result = _method.Invoke(_instance, BindingFlags.DoNotWrapExceptions, binder: null, args, culture: null);
        }
        catch (Exception e)
        {
            return ValueTask.FromException<object?>(e);
        }
        return _unwrap is null || result is null ? new ValueTask<object?>(result) : _unwrap(result);
    }

    private static object? CreateTarget(MethodInfo method, string name)
    {
        if (method.IsStatic)
            return null;
        var type = method.DeclaringType!;
        // Capture-free lambdas live on the compiler's singleton "<>9"; reuse it rather than making another.
        if (type.GetField("<>9", BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static) is { } singleton)
            return singleton.GetValue(null);
        if (type.IsAbstract || type.GetConstructor(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance, Type.EmptyTypes) is null)
            throw new InvalidRunFunctionException(
                $"The run function '{name}' is an instance method of a type without a parameterless constructor. {InvalidRunFunctionException.AcceptedShapes}");
        return Activator.CreateInstance(type, nonPublic: true);
    }

    private static Func<object, ValueTask<object?>>? Unwrapper(Type returnType, Func<string, InvalidRunFunctionException> wrong)
    {
        if (returnType == typeof(void) || returnType == typeof(Task) || returnType == typeof(ValueTask))
            throw wrong("returns nothing, so it cannot report an objective");
        if (!returnType.IsGenericType)
            return typeof(Task).IsAssignableFrom(returnType) ? throw wrong($"returns {returnType.Name}") : null;

        var definition = returnType.GetGenericTypeDefinition();
        if (definition == typeof(Task<>))
        {
            var result = returnType.GetProperty(nameof(Task<int>.Result))!;
            return async task =>
            {
                await ((Task)task).ConfigureAwait(false);
                return result.GetValue(task);
            };
        }
        if (definition == typeof(ValueTask<>))
        {
            var asTask = returnType.GetMethod(nameof(ValueTask<int>.AsTask))!;
            var result = typeof(Task<>).MakeGenericType(returnType.GetGenericArguments()).GetProperty(nameof(Task<int>.Result))!;
            return async valueTask =>
            {
                var task = (Task)asTask.Invoke(valueTask, null)!;
                await task.ConfigureAwait(false);
                return result.GetValue(task);
            };
        }
        return null;
    }

    private static object? Convert(object? value, ParameterInfo parameter, string name)
    {
        var type = parameter.ParameterType;
        if (value is null)
            return !type.IsValueType || Nullable.GetUnderlyingType(type) is not null
                ? null
                : throw new InvalidRunFunctionException($"RunFunctionKwargs['{parameter.Name}'] is null, but parameter '{parameter.Name}' of '{name}' is {type.Name}.");
        if (type.IsInstanceOfType(value))
            return value;
        try
        {
            return System.Convert.ChangeType(value, Nullable.GetUnderlyingType(type) ?? type, System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is InvalidCastException or FormatException or OverflowException)
        {
            throw new InvalidRunFunctionException(
                $"RunFunctionKwargs['{parameter.Name}'] is {value.GetType().Name}, which cannot be converted to {type.Name}, the type of parameter '{parameter.Name}' of '{name}'.", e);
        }
    }
}
