using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace TenantAspire.Tenancy.Catalog.Migrations
{
    /// <inheritdoc />
    public partial class RestoreStepTimings : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "steps_ms",
                table: "tenant_restores",
                type: "jsonb",
                nullable: false,
                defaultValue: "{}"); // existing restores: no steps recorded (valid JSON; EF proposed an empty string)
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "steps_ms",
                table: "tenant_restores");
        }
    }
}
