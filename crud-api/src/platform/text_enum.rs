//! States stored as TEXT (order, payment, listing, condition, role): written by their wire
//! name and read back strictly — a value the code does not know is a decode error that
//! fails the query, never a silent default (an unknown order status used to read as
//! "cancelled", an unknown role as "customer").

/// Implements sqlx's `Type`, `Encode` and `Decode` for SQLite and PostgreSQL on an enum that
/// has `fn as_str(self) -> &'static str` and `fn parse(&str) -> Option<Self>`.
#[macro_export]
macro_rules! text_enum {
    ($t:ty) => {
        $crate::text_enum!(@db $t, sqlx::Sqlite);
        $crate::text_enum!(@db $t, sqlx::Postgres);
    };
    (@db $t:ty, $db:ty) => {
        impl sqlx::Type<$db> for $t {
            fn type_info() -> <$db as sqlx::Database>::TypeInfo {
                <str as sqlx::Type<$db>>::type_info()
            }
            fn compatible(ty: &<$db as sqlx::Database>::TypeInfo) -> bool {
                <str as sqlx::Type<$db>>::compatible(ty)
            }
        }
        impl<'q> sqlx::Encode<'q, $db> for $t {
            fn encode_by_ref(
                &self,
                buf: &mut <$db as sqlx::Database>::ArgumentBuffer<'q>,
            ) -> Result<sqlx::encode::IsNull, sqlx::error::BoxDynError> {
                <&str as sqlx::Encode<'q, $db>>::encode_by_ref(&self.as_str(), buf)
            }
        }
        impl<'r> sqlx::Decode<'r, $db> for $t {
            fn decode(value: <$db as sqlx::Database>::ValueRef<'r>) -> Result<Self, sqlx::error::BoxDynError> {
                let s = <&str as sqlx::Decode<'r, $db>>::decode(value)?;
                <$t>::parse(s).ok_or_else(|| format!("unknown {} {s:?} in the database", stringify!($t)).into())
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use crate::catalogue::listing::{Condition, ProductStatus};
    use crate::identity::role::Role;
    use crate::orders::status::OrderStatus;
    use crate::payments::status::PaymentStatus;

    #[tokio::test]
    async fn states_round_trip_and_unknown_values_are_errors_not_defaults() {
        let pool = sqlx::SqlitePool::connect("sqlite::memory:").await.unwrap();
        let (o, p, c, s, r): (OrderStatus, PaymentStatus, Condition, ProductStatus, Role) =
            sqlx::query_as("SELECT $1, $2, $3, $4, $5")
                .bind(OrderStatus::ReadyForPickup)
                .bind(PaymentStatus::PartiallyRefunded)
                .bind(Condition::LikeNew)
                .bind(ProductStatus::Reserved)
                .bind(Role::Admin)
                .fetch_one(&pool)
                .await
                .unwrap();
        assert_eq!(
            (o, p, c, s, r),
            (
                OrderStatus::ReadyForPickup,
                PaymentStatus::PartiallyRefunded,
                Condition::LikeNew,
                ProductStatus::Reserved,
                Role::Admin
            )
        );
        // What used to read as "cancelled", "good" and "customer" now fails the query.
        let err = sqlx::query_as::<_, (OrderStatus,)>("SELECT 'teleported'").fetch_one(&pool).await.unwrap_err();
        assert!(err.to_string().contains("unknown OrderStatus \"teleported\""), "{err}");
        assert!(sqlx::query_as::<_, (Condition,)>("SELECT 'mint'").fetch_one(&pool).await.is_err());
        assert!(sqlx::query_as::<_, (Role,)>("SELECT 'superuser'").fetch_one(&pool).await.is_err());
        let (a,): (crate::recommendations::analysis_status::AnalysisStatus,) =
            sqlx::query_as("SELECT 'running'").fetch_one(&pool).await.unwrap();
        assert_eq!(a, crate::recommendations::analysis_status::AnalysisStatus::Running);
    }
}
