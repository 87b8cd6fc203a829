select
    product_id,
    sku,
    product_name,
    category,
    cast(price as decimal(10, 2)) as list_price,
    cast(cost as decimal(10, 2)) as unit_cost
from {{ ref('raw_products') }}
