using Microsoft.Extensions.DependencyInjection.Extensions;
using TenantAspire.Tenancy.Catalog;

namespace TenantAspire.ProvisioningWorker.Operations;

/// <summary>
/// How one kind of operation is carried out, and what is cleaned up when it fails for good. Registered per kind (a keyed service)
/// by the feature that owns it (<c>AddProvisioning</c>, <c>AddMoves</c>, <c>AddBackups</c>…), so a new kind plugs in without
/// editing <see cref="OperationProcessor"/>.
/// </summary>
public sealed record OperationHandler(
    OperationKind Kind,
    Func<IServiceProvider, TenantOperation, CancellationToken, Task> Run,
    Func<IServiceProvider, TenantOperation, string, CancellationToken, Task>? GiveUp);

public static class OperationHandlerRegistration
{
    /// <summary>
    /// <paramref name="kind"/> is run by <typeparamref name="THandler"/> (scoped: one per claimed operation). Without
    /// <paramref name="giveUp"/> an operation that fails for good leaves the tenant as it was.
    /// </summary>
    public static IServiceCollection AddOperationHandler<THandler>(this IServiceCollection services, OperationKind kind,
        Func<THandler, TenantOperation, CancellationToken, Task> run,
        Func<THandler, TenantOperation, string, CancellationToken, Task>? giveUp = null) where THandler : class
    {
        services.TryAddScoped<THandler>();
        services.AddKeyedSingleton(kind, new OperationHandler(kind,
            (sp, operation, ct) => run(sp.GetRequiredService<THandler>(), operation, ct),
            giveUp is null ? null : (sp, operation, reason, ct) => giveUp(sp.GetRequiredService<THandler>(), operation, reason, ct)));
        return services;
    }

    public static OperationHandler For(IServiceProvider services, OperationKind kind) =>
        services.GetKeyedService<OperationHandler>(kind) ?? throw new InvalidOperationException($"no handler registered for operation kind {kind}");
}
