select
    product_id,
    sku,
    product_name,
    category,
    list_price,
    unit_cost,
    list_price - unit_cost as unit_margin
from {{ ref('stg_products') }}
