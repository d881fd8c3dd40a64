using TenantAspire.TenantApi.Apis;
using TenantAspire.TenantApi.Extensions;
using TenantAspire.TenantApi.OpenApi;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddApplicationServices();

var app = builder.Build();
app.UseApplicationPipeline();
app.MapDefaultEndpoints();
app.MapApiReference();
app.MapTenantsApi();
app.MapFleetApi();
app.MapUsersApi();
app.MapProjectsApi();
app.MapDiagnosticsApi();

app.Run();
