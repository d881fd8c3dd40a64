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
app.MapRolloutsApi();
app.MapMovesApi();
app.MapServersApi();
app.MapBackupsApi();
app.MapExportsApi();
app.MapUsersApi();
app.MapProjectsApi();
app.MapTasksApi();
app.MapCustomFieldsApi();
app.MapDiagnosticsApi();
app.MapBaselineApi();

app.Run();
