namespace Evaluator.Core;

/// <summary>
/// Hooks into an evaluator's life. <see cref="OnLaunch"/> runs inside <c>Submit</c>; <see cref="OnDone"/>, <see cref="OnDoneOther"/>
/// and <see cref="OnGather"/> run inside a gather, on the caller's thread, so callbacks need no locking.
/// </summary>
/// <remarks>
/// <para>A hook that throws never costs a job: the evaluator first does its own work (a submitted job is still stored, counted and queued;
/// a finished job is still stored, counted and gathered exactly once), every other callback still gets its call, and then <c>Submit</c>,
/// the gather or <c>Close</c> throws a <see cref="CallbackException"/> holding every error and the jobs the call could not return. Those
/// jobs are not reported again by a later gather.</para>
/// <para>A hook must not call <see cref="JobEvaluator.Close"/> or <see cref="JobEvaluator.CloseAsync"/> on its own evaluator (that throws
/// <see cref="InvalidOperationException"/>); set <see cref="SearchStopped"/> and let the search driver close it.</para>
/// </remarks>
public abstract class EvaluatorCallback
{
    /// <summary>Set to <c>true</c> to ask the search driver to stop (see <see cref="JobEvaluator.SearchStopped"/>).</summary>
    public bool SearchStopped { get; protected set; }

    /// <summary>A job was submitted.</summary>
    public virtual void OnLaunch(Job job) { }

    /// <summary>A job of this evaluator finished and is being gathered.</summary>
    public virtual void OnDone(Job job) { }

    /// <summary>A job finished by another evaluator sharing the storage is being gathered.</summary>
    public virtual void OnDoneOther(Job job) { }

    /// <summary>A gather is about to return.</summary>
    public virtual void OnGather(GatherResult result) { }

    /// <summary>The evaluator is closing; called once, last.</summary>
    public virtual void OnClose() { }
}
