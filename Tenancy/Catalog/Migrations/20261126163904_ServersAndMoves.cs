using System;
using System.Collections.Generic;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace TenantAspire.Tenancy.Catalog.Migrations
{
    /// <inheritdoc />
    public partial class ServersAndMoves : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "tablespace",
                table: "tenants",
                type: "character varying(63)",
                maxLength: 63,
                nullable: true);

            migrationBuilder.CreateTable(
                name: "servers",
                columns: table => new
                {
                    name = table.Column<string>(type: "character varying(63)", maxLength: 63, nullable: false),
                    tiers = table.Column<List<string>>(type: "text[]", nullable: false),
                    state = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    capacity = table.Column<int>(type: "integer", nullable: false),
                    connection_budget = table.Column<int>(type: "integer", nullable: false),
                    bytes = table.Column<long>(type: "bigint", nullable: false),
                    updated_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_servers", x => x.name);
                });

            migrationBuilder.CreateTable(
                name: "tenant_moves",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    tenant_id = table.Column<Guid>(type: "uuid", nullable: false),
                    tenant_slug = table.Column<string>(type: "character varying(63)", maxLength: 63, nullable: false),
                    from_server = table.Column<string>(type: "character varying(63)", maxLength: 63, nullable: false),
                    from_tablespace = table.Column<string>(type: "character varying(63)", maxLength: 63, nullable: true),
                    to_server = table.Column<string>(type: "character varying(63)", maxLength: 63, nullable: false),
                    to_tablespace = table.Column<string>(type: "character varying(63)", maxLength: 63, nullable: false),
                    method = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    phase = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    to_tier = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: true),
                    reason = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    requested_by = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    error = table.Column<string>(type: "character varying(2000)", maxLength: 2000, nullable: true),
                    pause_ms = table.Column<int>(type: "integer", nullable: true),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    updated_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    switched_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    drop_source_after = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    completed_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_tenant_moves", x => x.id);
                });

            migrationBuilder.CreateIndex(
                name: "ix_tenants_server",
                table: "tenants",
                column: "server");

            migrationBuilder.CreateIndex(
                name: "ix_tenant_moves_from_server_phase",
                table: "tenant_moves",
                columns: new[] { "from_server", "phase" });

            migrationBuilder.CreateIndex(
                name: "ix_tenant_moves_tenant_id",
                table: "tenant_moves",
                column: "tenant_id");

            // One open move per tenant (TenantMove.OpenPhases): EF Core cannot model a partial index on a constant list.
            migrationBuilder.Sql(
                "CREATE UNIQUE INDEX ux_tenant_moves_one_open ON tenant_moves (tenant_id) WHERE phase IN ('Pending', 'Copying', 'CuttingOver');");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("DROP INDEX IF EXISTS ux_tenant_moves_one_open;");
            migrationBuilder.DropTable(
                name: "servers");

            migrationBuilder.DropTable(
                name: "tenant_moves");

            migrationBuilder.DropIndex(
                name: "ix_tenants_server",
                table: "tenants");

            migrationBuilder.DropColumn(
                name: "tablespace",
                table: "tenants");
        }
    }
}
