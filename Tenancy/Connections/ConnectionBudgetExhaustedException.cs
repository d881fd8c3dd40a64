namespace TenantAspire.Tenancy.Connections;

/// <summary>A request could not get a tenant connection within the budget's wait: the API answers 503 + Retry-After.</summary>
public sealed class ConnectionBudgetExhaustedException(string message) : Exception(message);
