using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace TenantAspire.Tenancy.Catalog.Migrations
{
    /// <inheritdoc />
    public partial class MoveDatabaseName : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "database_name",
                table: "tenant_moves",
                type: "character varying(63)",
                maxLength: 63,
                nullable: true);
            // Moves recorded before: the tenant's current database is the best record there is (right for every open move,
            // which no restore can have renamed).
            migrationBuilder.Sql("UPDATE tenant_moves m SET database_name = t.database_name FROM tenants t WHERE t.id = m.tenant_id");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "database_name",
                table: "tenant_moves");
        }
    }
}
