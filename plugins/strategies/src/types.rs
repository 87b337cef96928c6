//! Plain mirrors of the WIT records (`plugins/wit/plugins.wit`).

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Weekday {
    Monday,
    Tuesday,
    Wednesday,
    /// 1970-01-01 was a Thursday: the default `Moment`'s day.
    #[default]
    Thursday,
    Friday,
    Saturday,
    Sunday,
}

impl Weekday {
    pub fn is_weekend(self) -> bool {
        matches!(self, Weekday::Saturday | Weekday::Sunday)
    }
}

/// An instant and what the tenant's clock read then. The default is the Unix epoch in UTC,
/// for tests that don't care about time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Moment {
    pub unix_millis: i64,
    /// IANA name, e.g. "Asia/Seoul".
    pub time_zone: String,
    pub utc_offset_minutes: i32,
    pub year: i32,
    pub month: u8,
    pub day: u8,
    pub hour: u8,
    pub minute: u8,
    pub second: u8,
    pub weekday: Weekday,
}

impl Default for Moment {
    fn default() -> Self {
        Self {
            unix_millis: 0,
            time_zone: "UTC".into(),
            utc_offset_minutes: 0,
            year: 1970,
            month: 1,
            day: 1,
            hour: 0,
            minute: 0,
            second: 0,
            weekday: Weekday::Thursday,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    pub product_id: String,
    pub title: String,
    pub category: String,
    pub seller_id: String,
    pub unit_price: i64,
    pub quantity: u32,
    pub width_cm: Option<u32>,
    pub depth_cm: Option<u32>,
    pub height_cm: Option<u32>,
    pub weight_kg: Option<u32>,
}

impl Line {
    pub fn gross(&self) -> i64 {
        self.unit_price.saturating_mul(self.quantity as i64)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Checkout {
    pub order_id: String,
    pub buyer_id: String,
    pub delivery_area: String,
    pub pickup_area: String,
    pub distance_km: Option<f64>,
    pub lines: Vec<Line>,
    pub coupon: Option<String>,
    /// When the order was placed, on the tenant's clock.
    pub placed_at: Moment,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Adjustment {
    pub product_id: String,
    pub amount: i64,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Payout {
    pub seller_id: String,
    pub amount: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    pub adjustments: Vec<Adjustment>,
    pub delivery_fee: i64,
    pub commission: i64,
    pub payouts: Vec<Payout>,
    pub methods: Vec<String>,
    pub gateway: String,
    pub total: i64,
    pub notes: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    pub id: String,
    pub category: String,
    pub price: i64,
    pub age_days: u32,
    pub popularity: f64,
    pub similarity: Option<f64>,
    pub distance_km: Option<f64>,
    pub style_tags: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Context {
    pub user_id: Option<String>,
    pub recent_categories: Vec<String>,
    pub cart_categories: Vec<String>,
    pub purchased_categories: Vec<String>,
    pub style_preferences: Vec<String>,
    pub price_low: Option<i64>,
    pub price_high: Option<i64>,
    pub limit: u32,
    /// When the recommendation was asked for, on the tenant's clock.
    pub now: Moment,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Ranked {
    pub id: String,
    pub score: f64,
    pub reason: String,
}
