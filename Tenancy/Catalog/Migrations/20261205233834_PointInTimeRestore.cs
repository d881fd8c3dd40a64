using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace TenantAspire.Tenancy.Catalog.Migrations
{
    /// <inheritdoc />
    public partial class PointInTimeRestore : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AlterColumn<Guid>(
                name: "backup_id",
                table: "tenant_restores",
                type: "uuid",
                nullable: true,
                oldClrType: typeof(Guid),
                oldType: "uuid");

            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "point_in_time",
                table: "tenant_restores",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "reached_at",
                table: "tenant_restores",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "source_database",
                table: "tenant_restores",
                type: "character varying(63)",
                maxLength: 63,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "source_role",
                table: "tenant_restores",
                type: "character varying(63)",
                maxLength: 63,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "source_server",
                table: "tenant_restores",
                type: "character varying(63)",
                maxLength: 63,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "wal_position",
                table: "tenant_restores",
                type: "character varying(32)",
                maxLength: 32,
                nullable: true);

            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "archive_checked_at",
                table: "servers",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "archive_error",
                table: "servers",
                type: "character varying(2000)",
                maxLength: 2000,
                nullable: true);

            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "archived_until",
                table: "servers",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "recoverable_from",
                table: "servers",
                type: "timestamp with time zone",
                nullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "point_in_time",
                table: "tenant_restores");

            migrationBuilder.DropColumn(
                name: "reached_at",
                table: "tenant_restores");

            migrationBuilder.DropColumn(
                name: "source_database",
                table: "tenant_restores");

            migrationBuilder.DropColumn(
                name: "source_role",
                table: "tenant_restores");

            migrationBuilder.DropColumn(
                name: "source_server",
                table: "tenant_restores");

            migrationBuilder.DropColumn(
                name: "wal_position",
                table: "tenant_restores");

            migrationBuilder.DropColumn(
                name: "archive_checked_at",
                table: "servers");

            migrationBuilder.DropColumn(
                name: "archive_error",
                table: "servers");

            migrationBuilder.DropColumn(
                name: "archived_until",
                table: "servers");

            migrationBuilder.DropColumn(
                name: "recoverable_from",
                table: "servers");

            migrationBuilder.AlterColumn<Guid>(
                name: "backup_id",
                table: "tenant_restores",
                type: "uuid",
                nullable: false,
                defaultValue: new Guid("00000000-0000-0000-0000-000000000000"),
                oldClrType: typeof(Guid),
                oldType: "uuid",
                oldNullable: true);
        }
    }
}
