//! Service areas: Seoul's 25 districts (구) with approximate centres, to order deliveries by
//! distance from a rider. Listings and addresses name their area; unknown areas sort last.

/// (name, latitude, longitude)
const SEOUL: &[(&str, f64, f64)] = &[
    ("강남구", 37.5172, 127.0473),
    ("강동구", 37.5301, 127.1238),
    ("강북구", 37.6396, 127.0257),
    ("강서구", 37.5509, 126.8495),
    ("관악구", 37.4784, 126.9516),
    ("광진구", 37.5385, 127.0823),
    ("구로구", 37.4954, 126.8874),
    ("금천구", 37.4569, 126.8955),
    ("노원구", 37.6542, 127.0568),
    ("도봉구", 37.6688, 127.0471),
    ("동대문구", 37.5744, 127.0400),
    ("동작구", 37.5124, 126.9393),
    ("마포구", 37.5663, 126.9019),
    ("서대문구", 37.5791, 126.9368),
    ("서초구", 37.4837, 127.0324),
    ("성동구", 37.5633, 127.0371),
    ("성북구", 37.5894, 127.0167),
    ("송파구", 37.5145, 127.1059),
    ("양천구", 37.5169, 126.8664),
    ("영등포구", 37.5264, 126.8962),
    ("용산구", 37.5324, 126.9907),
    ("은평구", 37.6027, 126.9291),
    ("종로구", 37.5735, 126.9790),
    ("중구", 37.5641, 126.9979),
    ("중랑구", 37.6066, 127.0927),
];

/// The centre of a named area, if known. Matches "마포구" and "서울 마포구 합정동" alike.
pub fn centre(area: &str) -> Option<(f64, f64)> {
    let words: Vec<&str> = area.split_whitespace().collect();
    SEOUL.iter().find(|(name, _, _)| words.contains(name) || area == *name).map(|(_, lat, lng)| (*lat, *lng))
}

/// Great-circle distance in kilometres.
pub fn distance_km(a: (f64, f64), b: (f64, f64)) -> f64 {
    let (lat1, lon1, lat2, lon2) = (a.0.to_radians(), a.1.to_radians(), b.0.to_radians(), b.1.to_radians());
    let h = ((lat2 - lat1) / 2.0).sin().powi(2) + lat1.cos() * lat2.cos() * ((lon2 - lon1) / 2.0).sin().powi(2);
    6371.0 * 2.0 * h.sqrt().asin()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_areas_in_addresses() {
        assert!(centre("마포구").is_some());
        assert!(centre("서울 마포구 합정동").is_some());
        assert!(centre("부산 해운대구").is_none());
    }

    #[test]
    fn mapo_is_closer_to_seodaemun_than_to_gangnam() {
        let mapo = centre("마포구").unwrap();
        let near = distance_km(mapo, centre("서대문구").unwrap());
        let far = distance_km(mapo, centre("강남구").unwrap());
        assert!(near < far && (3.0..4.5).contains(&near) && (12.0..16.0).contains(&far), "{near} {far}");
    }
}
