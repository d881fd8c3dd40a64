using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace TenantAspire.Tenancy.Catalog.Migrations
{
    /// <inheritdoc />
    public partial class OneRunningOperationPerTenant : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            // Before the rule existed two running operations of one tenant could be claimed together: all but the earliest go
            // back to the queue (their handlers are idempotent), so the unique index can be built on an existing catalog.
            migrationBuilder.Sql("""
                UPDATE tenant_operations SET state = 'Pending', leased_by = NULL, lease_expires_at = NULL
                 WHERE state = 'Running'
                   AND id NOT IN (SELECT DISTINCT ON (tenant_id) id FROM tenant_operations
                                   WHERE state = 'Running' ORDER BY tenant_id, started_at, id)
                """);
            migrationBuilder.CreateIndex(
                name: "ux_tenant_operations_one_running",
                table: "tenant_operations",
                column: "tenant_id",
                unique: true,
                filter: "state = 'Running'");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "ux_tenant_operations_one_running",
                table: "tenant_operations");
        }
    }
}
