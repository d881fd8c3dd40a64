using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace TenantAspire.Tenancy.Catalog.Migrations
{
    /// <inheritdoc />
    public partial class SchemaRollouts : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<bool>(
                name: "is_canary",
                table: "tenants",
                type: "boolean",
                nullable: false,
                defaultValue: false);

            migrationBuilder.CreateTable(
                name: "schema_rollouts",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    target_migration = table.Column<string>(type: "character varying(150)", maxLength: 150, nullable: false),
                    state = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    ring_percents = table.Column<int[]>(type: "integer[]", nullable: false),
                    current_ring = table.Column<int>(type: "integer", nullable: false),
                    parallelism = table.Column<int>(type: "integer", nullable: false),
                    error_budget = table.Column<double>(type: "double precision", nullable: false),
                    include_hibernated = table.Column<bool>(type: "boolean", nullable: false),
                    halt_reason = table.Column<string>(type: "character varying(2000)", maxLength: 2000, nullable: true),
                    started_by = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    trace_parent = table.Column<string>(type: "character varying(2000)", maxLength: 2000, nullable: true),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    updated_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    ring_started_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    completed_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_schema_rollouts", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "schema_rollout_tenants",
                columns: table => new
                {
                    rollout_id = table.Column<Guid>(type: "uuid", nullable: false),
                    tenant_id = table.Column<Guid>(type: "uuid", nullable: false),
                    tenant_slug = table.Column<string>(type: "character varying(63)", maxLength: 63, nullable: false),
                    server = table.Column<string>(type: "character varying(63)", maxLength: 63, nullable: false),
                    ring = table.Column<int>(type: "integer", nullable: false),
                    state = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    attempts = table.Column<int>(type: "integer", nullable: false),
                    next_attempt_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    leased_by = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: true),
                    lease_expires_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    from_migration = table.Column<string>(type: "character varying(150)", maxLength: 150, nullable: true),
                    to_migration = table.Column<string>(type: "character varying(150)", maxLength: 150, nullable: true),
                    duration_ms = table.Column<double>(type: "double precision", nullable: true),
                    error = table.Column<string>(type: "character varying(2000)", maxLength: 2000, nullable: true),
                    started_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    completed_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_schema_rollout_tenants", x => new { x.rollout_id, x.tenant_id });
                    table.ForeignKey(
                        name: "fk_schema_rollout_tenants_schema_rollouts_rollout_id",
                        column: x => x.rollout_id,
                        principalTable: "schema_rollouts",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "ix_schema_rollout_tenants_rollout_id_ring_state",
                table: "schema_rollout_tenants",
                columns: new[] { "rollout_id", "ring", "state" });

            migrationBuilder.CreateIndex(
                name: "ix_schema_rollout_tenants_tenant_id",
                table: "schema_rollout_tenants",
                column: "tenant_id");

            // One open rollout at a time, enforced by the database so two admins (or an admin and a starting worker) cannot race.
            migrationBuilder.Sql(
                "CREATE UNIQUE INDEX ux_schema_rollouts_one_open ON schema_rollouts ((true)) WHERE state IN ('Running', 'Paused', 'Halted');");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "schema_rollout_tenants");

            migrationBuilder.DropTable(
                name: "schema_rollouts");

            migrationBuilder.DropColumn(
                name: "is_canary",
                table: "tenants");
        }
    }
}
